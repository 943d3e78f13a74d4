"""Checks the exported model directory against the serving contract (skipped parts need onnxruntime)."""
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOPICS = ROOT.parent / "shared" / "data" / "twitter-financial-news" / "topics.txt"
# Every shipped model directory, with the base encoder its card must name.
BASES = {"finsent-bge-small": "BAAI/bge-small-en-v1.5", "finsent-minilm": "sentence-transformers/all-MiniLM-L6-v2"}


@pytest.fixture(params=sorted(BASES))
def model_dir(request):
    return ROOT / "models" / request.param


def _labels(model_dir):
    p = model_dir / "labels.json"
    if not p.exists():
        pytest.skip("model not exported")
    return json.loads(p.read_text())


def test_labels_json(model_dir):
    lab = _labels(model_dir)
    assert lab["base_model"] == BASES[model_dir.name]
    assert lab["max_length"] == 64 and lab["normalisation"] == "v1"
    assert lab["sentiment"] == ["negative", "positive", "neutral"]
    assert lab["inputs"] == ["input_ids", "attention_mask"]
    assert lab["outputs"] == ["sentiment_logits", "topic_logits"]
    assert lab["model_version"].startswith(f"{model_dir.name}-")
    assert len(lab["topic"]) == 20
    if TOPICS.exists():
        assert lab["topic"] == [l.strip() for l in TOPICS.read_text().splitlines() if l.strip()]


def test_tokenizer_files(model_dir):
    _labels(model_dir)
    tj = json.loads((model_dir / "tokenizer.json").read_text())
    assert tj["truncation"]["max_length"] == 64
    assert tj["padding"] is None
    assert tj["model"]["vocab"]["[PAD]"] == 0


def test_onnx_contract(model_dir):
    ort = pytest.importorskip("onnxruntime")
    np = pytest.importorskip("numpy")
    _labels(model_dir)
    for name in ("model.int8.onnx", "model.fp16.onnx", "model.fp32.onnx"):
        p = model_dir / name
        if not p.exists():
            continue
        sess = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"])
        assert [i.name for i in sess.get_inputs()] == ["input_ids", "attention_mask"]
        assert all(i.type == "tensor(int64)" for i in sess.get_inputs())
        assert [o.name for o in sess.get_outputs()] == ["sentiment_logits", "topic_logits"]
        for b, s in ((1, 5), (3, 17)):
            ids = np.full((b, s), 1996, dtype=np.int64)
            ids[:, 0], ids[:, -1] = 101, 102
            am = np.ones_like(ids)
            am[0, s // 2 :] = 0
            sl, tl = sess.run(None, {"input_ids": ids, "attention_mask": am})
            assert sl.shape == (b, 3) and tl.shape == (b, 20)
            assert sl.dtype == np.float32 and np.isfinite(sl).all() and np.isfinite(tl).all()


def test_padding_invariance(model_dir):
    """Right padding with id 0 / mask 0 must not change the logits (pooling sees only the mask)."""
    ort = pytest.importorskip("onnxruntime")
    np = pytest.importorskip("numpy")
    _labels(model_dir)
    ref = next((model_dir / f for f in ("model.fp32.onnx", "model.fp16.onnx") if (model_dir / f).exists()), None)
    if ref is None:
        pytest.skip("no fp32/fp16 export")
    sess = ort.InferenceSession(str(ref), providers=["CPUExecutionProvider"])
    ids = np.array([[101, 6207, 16582, 16565, 10035, 102]], dtype=np.int64)
    a = sess.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids)})
    pid = np.concatenate([ids, np.zeros((1, 9), dtype=np.int64)], 1)
    pam = np.concatenate([np.ones_like(ids), np.zeros((1, 9), dtype=np.int64)], 1)
    b = sess.run(None, {"input_ids": pid, "attention_mask": pam})
    tol = 1e-4 if ref.name == "model.fp32.onnx" else 2e-2
    assert np.allclose(a[0], b[0], atol=tol) and np.allclose(a[1], b[1], atol=tol)
