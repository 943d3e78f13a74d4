"""Export a trained FinSentModel checkpoint to ONNX (fp32, fp16 and dynamic int8) plus tokenizer/labels files."""
from __future__ import annotations

import argparse
import json
import shutil
import warnings
from pathlib import Path

import torch

from .model import ExportWrapper, FinSentModel

OPSET = 17
INPUTS = ["input_ids", "attention_mask", "entity_mask"]
OUTPUTS = ["sentiment_logits", "topic_logits", "entity_logits"]


def export_onnx(model: FinSentModel, path: Path) -> None:
    model.eval()
    wrapper = ExportWrapper(model).eval()
    ids = torch.tensor([[101, 7592, 2088, 102, 0, 0], [101, 2307, 2003, 1037, 3231, 102]], dtype=torch.long)
    am = (ids != 0).long()
    em = torch.zeros((2, 2, 6), dtype=torch.float32)
    em[0, 0, 1] = em[1, 0, 2] = em[1, 1, 3] = em[1, 1, 4] = 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper,
            (ids, am, em),
            str(path),
            input_names=INPUTS,
            output_names=OUTPUTS,
            dynamic_axes={
                "input_ids": {0: "batch", 1: "seq"},
                "attention_mask": {0: "batch", 1: "seq"},
                "entity_mask": {0: "batch", 1: "entities", 2: "seq"},
                "sentiment_logits": {0: "batch"},
                "topic_logits": {0: "batch"},
                "entity_logits": {0: "batch", 1: "entities"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def quantize_int8(fp32: Path, int8: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True, reduce_range=False)


def convert_fp16(fp32: Path, fp16: Path) -> None:
    """fp16 weights and activations for GPU execution providers; inputs and outputs stay int64/float32,
    so the serving code is the same for every variant. Half the size of fp32."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16

    onnx.save_model(convert_float_to_float16(onnx.load(str(fp32)), keep_io_types=True), str(fp16))


def write_tokenizer(base_dir: Path, out: Path, max_length: int) -> None:
    tj = json.loads((base_dir / "tokenizer.json").read_text(encoding="utf-8"))
    # The packaged tokenizer pads/truncates to a fixed 128; ship truncation at max_length and no
    # padding: the caller pads each batch to its longest item with [PAD] id 0 / attention 0.
    tj["truncation"] = {"direction": "Right", "max_length": max_length, "strategy": "LongestFirst", "stride": 0}
    tj["padding"] = None
    (out / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")
    tc = json.loads((base_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    tc["model_max_length"] = max_length
    tc.pop("name_or_path", None)
    (out / "tokenizer_config.json").write_text(json.dumps(tc, indent=2) + "\n", encoding="utf-8")
    for extra in ("vocab.txt", "special_tokens_map.json"):
        if (base_dir / extra).exists():
            shutil.copyfile(base_dir / extra, out / extra)


def load_checkpoint(ckpt: Path, base_dir: Path | None = None) -> tuple[FinSentModel, dict]:
    """The model of a train.py checkpoint; `base_dir` defaults to the --base-model it was trained from."""
    blob = torch.load(ckpt, map_location="cpu", weights_only=False)
    meta = blob["meta"]
    if base_dir is None:
        base_dir = trained_from(meta)
    model = FinSentModel(str(base_dir), len(meta["sentiment"]), len(meta["topic"]), pooling=meta.get("pooling", "mean"),
                         entity_context=meta.get("entity_context", False), served_head=meta.get("served_head", "span"))
    model.load_state_dict(blob["state_dict"])
    model.eval()
    return model, meta


def trained_from(meta: dict) -> Path:
    """The pretrained encoder directory a checkpoint was trained from (train.py ran in training/)."""
    recorded = meta.get("args", {}).get("base_model", "None")
    if recorded == "None":
        from .train import find_base_model

        return find_base_model()
    path = Path(recorded)
    return path if path.is_absolute() else Path(__file__).resolve().parents[1] / path


def export_all(ckpt: Path, base_dir: Path, out: Path, max_length: int = 128) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    model, meta = load_checkpoint(ckpt, base_dir)
    tmp_fp32 = out / "model.fp32.onnx.tmp"
    tmp_int8 = out / "model.int8.onnx.tmp"
    export_onnx(model, tmp_fp32)
    # re-save as a single file (no external data)
    import onnx

    m = onnx.load(str(tmp_fp32))
    onnx.save_model(m, str(tmp_fp32), save_as_external_data=False)
    quantize_int8(tmp_fp32, tmp_int8)
    tmp_fp16 = out / "model.fp16.onnx.tmp"
    convert_fp16(tmp_fp32, tmp_fp16)
    tmp_fp32.replace(out / "model.fp32.onnx")
    tmp_int8.replace(out / "model.int8.onnx")
    tmp_fp16.replace(out / "model.fp16.onnx")
    write_tokenizer(base_dir, out, max_length)
    labels = {
        "model_version": meta["model_version"],
        "base_model": meta.get("base_model", "sentence-transformers/all-MiniLM-L6-v2"),
        "max_length": max_length,
        "normalisation": "v1",
        "sentiment": meta["sentiment"],
        "topic": meta["topic"],
        "inputs": INPUTS,
        "outputs": OUTPUTS,
        # entity_mask [batch, entities, seq]: 1.0 on the tokens of each entity (span-mean pooled with the text's
        # pooled vector, and with `ctx` an attention read queried by the span); a text without entities passes one
        # all-zero row. Tokens are found from the entity's character span in the normalised text; an entity
        # truncated away gets the whole text's label.
        "entity_pooling": {"span": "span-mean+pooled", "ctx": "span-mean+pooled+span-attention"}[model.served_head],
    }
    (out / "labels.json").write_text(json.dumps(labels, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return meta


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--ckpt", required=True, type=Path)
    ap.add_argument("--base-model", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True, help="model directory to write, e.g. ../models/finsent-bge-small")
    ap.add_argument("--max-length", type=int, default=128)
    a = ap.parse_args()
    export_all(a.ckpt, a.base_model, a.out, a.max_length)


if __name__ == "__main__":
    main()
