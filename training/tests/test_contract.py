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
    assert lab["normalisation"] == "v1"
    assert lab["sentiment"] == ["negative", "positive", "neutral"]
    # Models with an entity head take the entity mask and give entity logits; the earlier ones do not.
    if "entity_mask" in lab["inputs"]:
        assert lab["max_length"] == 128
        assert lab["inputs"] == ["input_ids", "attention_mask", "entity_mask"]
        assert lab["outputs"] == ["sentiment_logits", "topic_logits", "entity_logits"]
    else:
        assert lab["max_length"] == 64
        assert lab["inputs"] == ["input_ids", "attention_mask"]
        assert lab["outputs"] == ["sentiment_logits", "topic_logits"]
    assert lab["model_version"].startswith(f"{model_dir.name}-")
    assert len(lab["topic"]) == 20
    if TOPICS.exists():
        assert lab["topic"] == [l.strip() for l in TOPICS.read_text().splitlines() if l.strip()]


def test_tokenizer_files(model_dir):
    _labels(model_dir)
    tj = json.loads((model_dir / "tokenizer.json").read_text())
    assert tj["truncation"]["max_length"] == _labels(model_dir)["max_length"]
    assert tj["padding"] is None
    assert tj["model"]["vocab"]["[PAD]"] == 0


def test_onnx_contract(model_dir):
    ort = pytest.importorskip("onnxruntime")
    np = pytest.importorskip("numpy")
    lab = _labels(model_dir)
    entities = "entity_mask" in lab["inputs"]
    for name in ("model.int8.onnx", "model.fp16.onnx", "model.fp32.onnx"):
        p = model_dir / name
        if not p.exists():
            continue
        sess = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"])
        assert [i.name for i in sess.get_inputs()] == lab["inputs"]
        assert [i.type for i in sess.get_inputs()] == ["tensor(int64)", "tensor(int64)"] + (["tensor(float)"] if entities else [])
        assert [o.name for o in sess.get_outputs()] == lab["outputs"]
        for b, s in ((1, 5), (3, 17)):
            ids = np.full((b, s), 1996, dtype=np.int64)
            ids[:, 0], ids[:, -1] = 101, 102
            am = np.ones_like(ids)
            am[0, s // 2 :] = 0
            feed = {"input_ids": ids, "attention_mask": am}
            if entities:
                em = np.zeros((b, 2, s), dtype=np.float32)
                em[:, 0, 1:3] = 1.0
                feed["entity_mask"] = em
            out = sess.run(None, feed)
            sl, tl = out[0], out[1]
            assert sl.shape == (b, 3) and tl.shape == (b, 20)
            assert sl.dtype == np.float32 and np.isfinite(sl).all() and np.isfinite(tl).all()
            if entities:
                assert out[2].shape == (b, 2, 3) and np.isfinite(out[2]).all()


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
    entities = "entity_mask" in _labels(model_dir)["inputs"]
    em = np.zeros((1, 1, 6), dtype=np.float32)
    em[0, 0, 1:3] = 1.0
    a = sess.run(None, {"input_ids": ids, "attention_mask": np.ones_like(ids), **({"entity_mask": em} if entities else {})})
    pid = np.concatenate([ids, np.zeros((1, 9), dtype=np.int64)], 1)
    pam = np.concatenate([np.ones_like(ids), np.zeros((1, 9), dtype=np.int64)], 1)
    pem = np.concatenate([em, np.zeros((1, 1, 9), dtype=np.float32)], 2)
    b = sess.run(None, {"input_ids": pid, "attention_mask": pam, **({"entity_mask": pem} if entities else {})})
    tol = 1e-4 if ref.name == "model.fp32.onnx" else 2e-2
    assert all(np.allclose(x, y, atol=tol) for x, y in zip(a, b))
