"""Evaluate an exported model directory with onnxruntime (each of fp32, fp16, int8 that is there) and write metrics.json + MODEL_CARD.md.

    python -m finsent_train.evaluate --model-dir ../models/finsent-minilm
"""
from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from sklearn.metrics import accuracy_score, classification_report, confusion_matrix, f1_score
from tokenizers import Tokenizer

from .data import default_data_dir, load_tasks
from .normalise import normalise

VARIANTS = {"fp32": "model.fp32.onnx", "fp16": "model.fp16.onnx", "int8": "model.int8.onnx"}


def session(path: Path, threads: int) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def load_tokenizer(model_dir: Path) -> Tokenizer:
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tok.enable_padding(pad_id=0, pad_token="[PAD]")  # serving pads the same way (id 0, mask 0)
    return tok


def logits(sess: ort.InferenceSession, tok: Tokenizer, texts: list[str], bs: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Normalises, tokenises (trunc 64 from tokenizer.json), pads per batch, returns (sentiment, topic) logits."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    s_out = np.zeros((len(texts), 3), dtype=np.float32)
    t_out = None
    for st in range(0, len(order), bs):
        sel = order[st : st + bs]
        enc = tok.encode_batch([normalise(texts[i]) for i in sel])
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        am = np.array([e.attention_mask for e in enc], dtype=np.int64)
        s, t = sess.run(["sentiment_logits", "topic_logits"], {"input_ids": ids, "attention_mask": am})
        if t_out is None:
            t_out = np.zeros((len(texts), t.shape[1]), dtype=np.float32)
        s_out[sel] = s
        t_out[sel] = t
    return s_out, t_out


def task_metrics(y: list[int], pred: np.ndarray, names: list[str]) -> dict:
    rep = classification_report(y, pred, labels=list(range(len(names))), target_names=names, output_dict=True, zero_division=0)
    return {
        "n": len(y),
        "accuracy": round(float(accuracy_score(y, pred)), 4),
        "macro_f1": round(float(f1_score(y, pred, average="macro", labels=list(range(len(names))), zero_division=0)), 4),
        "per_class": {n: {k: round(float(rep[n][k]), 4) for k in ("precision", "recall", "f1-score", "support")} for n in names},
        "confusion_matrix": confusion_matrix(y, pred, labels=list(range(len(names)))).tolist(),
    }


def throughput(sess: ort.InferenceSession, batch: int = 32, seq: int = 32, seconds: float = 8.0) -> float:
    rng = np.random.default_rng(0)
    ids = rng.integers(1000, 29000, size=(batch, seq), dtype=np.int64)
    ids[:, 0] = 101
    ids[:, -1] = 102
    am = np.ones_like(ids)
    feed = {"input_ids": ids, "attention_mask": am}
    for _ in range(3):
        sess.run(None, feed)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        sess.run(None, feed)
        n += 1
    return round(n * batch / (time.perf_counter() - t0), 1)


def evaluate_dir(model_dir: Path, data_dir: Path | None = None, threads: int = 2, history=None, recipe=None,
                 bench_seconds: float = 8.0) -> dict:
    data_dir = data_dir or default_data_dir()
    labels = json.loads((model_dir / "labels.json").read_text())
    tasks = load_tasks(data_dir)
    tok = load_tokenizer(model_dir)
    news = list(csv.DictReader((model_dir / "news_sanity.csv").open(encoding="utf-8")))
    metrics: dict = {"model_version": labels["model_version"], "normalisation": labels["normalisation"], "threads": threads,
                     "sizes_bytes": {}, "validation": {}, "news_sanity": {}, "throughput_items_per_s": {}}
    for v, fn in VARIANTS.items():
        p = model_dir / fn
        if not p.exists():
            continue
        metrics["sizes_bytes"][fn] = p.stat().st_size
        sess = session(p, threads)
        metrics["validation"][v] = {}
        for t in ("sentiment", "topic"):
            # tasks[t].valid_texts are already normalised; normalise() is idempotent
            s, tl = logits(sess, tok, tasks[t].valid_texts)
            pred = (s if t == "sentiment" else tl).argmax(1)
            metrics["validation"][v][t] = task_metrics(tasks[t].valid_labels, pred, labels[t])
        s, tl = logits(sess, tok, [r["text"] for r in news])
        sp = [labels["sentiment"][i] for i in s.argmax(1)]
        tp = [labels["topic"][i] for i in tl.argmax(1)]
        metrics["news_sanity"][v] = {
            "n": len(news),
            "sentiment_accuracy": round(float(np.mean([a == r["sentiment"] for a, r in zip(sp, news)])), 4),
            "topic_accuracy": round(float(np.mean([a == r["topic"] for a, r in zip(tp, news)])), 4),
            "predictions": [{"text": r["text"], "sentiment": a, "topic": b, "gold_sentiment": r["sentiment"], "gold_topic": r["topic"]}
                            for a, b, r in zip(sp, tp, news)],
        }
        metrics["throughput_items_per_s"][v] = {"batch": 32, "seq": 32, "items_per_s": throughput(sess, seconds=bench_seconds)}
    for f in ("tokenizer.json",):
        metrics["sizes_bytes"][f] = (model_dir / f).stat().st_size
    if history is not None:
        metrics["training_history"] = history
    if recipe is not None:
        metrics["recipe"] = recipe
    elif (model_dir / "metrics.json").exists():
        old = json.loads((model_dir / "metrics.json").read_text())
        for k in ("training_history", "recipe"):
            if k in old:
                metrics.setdefault(k, old[k])
    (model_dir / "metrics.json").write_text(json.dumps(metrics, indent=1, ensure_ascii=False) + "\n")
    from .card import write_card

    write_card(model_dir, metrics, labels)
    return metrics


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model-dir", type=Path, default=Path("../models/finsent-minilm"))
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--ckpt", type=Path, default=None, help="training checkpoint whose history/recipe to embed")
    ap.add_argument("--bench-seconds", type=float, default=8.0)
    a = ap.parse_args()
    hist = recipe = None
    if a.ckpt:
        import torch

        meta = torch.load(a.ckpt, map_location="cpu", weights_only=False)["meta"]
        hist, recipe = meta["history"], meta["args"]
    m = evaluate_dir(a.model_dir, a.data_dir, a.threads, history=hist, recipe=recipe, bench_seconds=a.bench_seconds)
    for v, r in m["validation"].items():
        print(v, {t: (x["accuracy"], x["macro_f1"]) for t, x in r.items()}, m["news_sanity"][v]["sentiment_accuracy"],
              m["news_sanity"][v]["topic_accuracy"], m["throughput_items_per_s"][v])


if __name__ == "__main__":
    main()
