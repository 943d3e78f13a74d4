"""Throughput of the same model the way a data scientist would serve it: Hugging Face `transformers`
tokenizer + the PyTorch checkpoint, batched, on CPU. For comparison with `finsent bench classify`
(onnxruntime-node, same headlines, batch size and thread count); prints one JSON line.

Our model has two heads, so `transformers.pipeline("text-classification")` (one head) cannot load it;
this is that pipeline's loop (tokenise with padding/truncation, forward under inference_mode,
softmax), which is what the pipeline runs inside.

    ../.cache/train-venv/bin/python -m finsent_train.bench_torch --ckpt ../.cache/ckpt/finsent-bge-small/final.pt
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from transformers import AutoTokenizer

from .export import load_checkpoint
from .normalise import normalise

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ckpt", type=Path, required=True, help="a train.py checkpoint, e.g. ../.cache/ckpt/finsent-bge-small/final.pt")
    ap.add_argument("--base-model", type=Path, default=None, help="pretrained encoder dir (default: the one the checkpoint was trained from)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    model, meta = load_checkpoint(args.ckpt, args.base_model)
    tokenizer = AutoTokenizer.from_pretrained(ROOT / "models" / meta.get("name", "finsent-minilm"))
    lines = (ROOT / "cli/sample/headlines.ndjson").read_text().splitlines()
    texts = [normalise(json.loads(line)["title"]) for line in lines]

    def run(batch: list[str]) -> None:
        enc = tokenizer(batch, padding=True, truncation=True, max_length=64, return_tensors="pt")
        with torch.inference_mode():
            s, t, _ = model(enc["input_ids"], enc["attention_mask"])
            torch.softmax(s, -1), torch.softmax(t, -1)

    run(texts[: args.batch])  # warm-up
    done, i, start = 0, 0, time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        batch = texts[i : i + args.batch] or texts[: args.batch]
        run(batch)
        done += len(batch)
        i = (i + args.batch) % len(texts)
    rate = done / (time.perf_counter() - start)
    print(json.dumps({"engine": "transformers+pytorch", "model": meta.get("model_version"), "batch": args.batch, "threads": args.threads, "items_per_s": round(rate, 1)}))


if __name__ == "__main__":
    main()
