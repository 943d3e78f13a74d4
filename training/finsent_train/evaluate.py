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

from .data import (NewsItem, default_data_dir, load_news, load_tasks, load_written_news, news_topics_dir,
                   read_news_topics)
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
        feed = {"input_ids": ids, "attention_mask": am}
        if has_entity_input(sess):
            feed["entity_mask"] = np.zeros((len(sel), 1, ids.shape[1]), dtype=np.float32)
        s, t = sess.run(["sentiment_logits", "topic_logits"], feed)
        if t_out is None:
            t_out = np.zeros((len(texts), t.shape[1]), dtype=np.float32)
        s_out[sel] = s
        t_out[sel] = t
    return s_out, t_out


def has_entity_input(sess: ort.InferenceSession) -> bool:
    return any(i.name == "entity_mask" for i in sess.get_inputs())


def news_predictions(sess: ort.InferenceSession, tok: Tokenizer, plain: Tokenizer, items: list[NewsItem], bs: int = 64):
    """Whole-text sentiment and per-entity sentiment (label ids) through the ONNX graph, as the service computes
    them. A graph without an entity head gives each entity the whole text's label (what serving does then)."""
    from .train import entity_masks

    whole = np.zeros(len(items), dtype=np.int64)
    ents: list[list[int]] = [[] for _ in items]
    for st in range(0, len(items), bs):
        part = items[st : st + bs]
        enc = tok.encode_batch([it.text for it in part])
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        am = np.array([e.attention_mask for e in enc], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": am}
        mask, visible = entity_masks(plain, part, am.sum(1).tolist(), ids.shape[1])
        if has_entity_input(sess):
            feed["entity_mask"] = mask
            s, e = sess.run(["sentiment_logits", "entity_logits"], feed)
        else:
            (s,) = sess.run(["sentiment_logits"], feed)
            e = np.zeros((*visible.shape, s.shape[1]), dtype=np.float32)
            visible[:] = False
        # An entity the model cannot see (or a model without an entity head) takes the whole text's label, as served.
        e = np.where(visible[:, :, None], e, s[:, None, :])
        for i, it in enumerate(part):
            whole[st + i] = int(s[i].argmax())
            ents[st + i] = [int(e[i, j].argmax()) for j in range(len(it.entities))]
    return whole, ents


def news_metrics(sess: ort.InferenceSession, tok: Tokenizer, plain: Tokenizer, items: list[NewsItem], names: list[str]) -> dict:
    """Per source: whole-text sentiment on texts whose entities agree; entity-level sentiment on every entity, and
    on the entities of texts whose entities conflict (where one label per text is wrong by construction)."""
    whole, ents = news_predictions(sess, tok, plain, items)
    agree = [i for i, it in enumerate(items) if it.sentiment is not None]
    out = {"whole_text_agreeing": task_metrics([items[i].sentiment for i in agree], whole[agree], names)}
    for key, keep in (("entity", lambda it: True), ("entity_conflicting", lambda it: it.sentiment is None)):
        y, p = [], []
        for it, pred in zip(items, ents):
            if keep(it):
                y += [x.label for x in it.entities]
                p += pred
        out[key] = task_metrics(y, np.array(p, dtype=np.int64), names)
    return out


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
    if has_entity_input(sess):
        feed["entity_mask"] = np.zeros((batch, 1, seq), dtype=np.float32)
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
    sanity = list(csv.DictReader((model_dir / "news_sanity.csv").open(encoding="utf-8")))
    metrics: dict = {"model_version": labels["model_version"], "normalisation": labels["normalisation"], "threads": threads,
                     "sizes_bytes": {}, "validation": {}, "news_validation": {}, "news_topic_heldout": {}, "news_sanity": {},
                     "throughput_items_per_s": {}}
    plain = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    plain.no_truncation()
    plain.no_padding()
    news = load_news(data_dir, "valid")
    news["sentfin+finentity"] = [it for items in news.values() for it in items]
    written = load_written_news("heldout")  # the project's written headlines, never trained on: another style
    if written:
        news["written (held-out)"] = written
    heldout = news_topics_dir() / "heldout.csv"
    nt_texts, nt_labels = read_news_topics(heldout, labels["topic"]) if heldout.exists() else ([], [])
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
        metrics["news_validation"][v] = {src: news_metrics(sess, tok, plain, items, labels["sentiment"]) for src, items in news.items()}
        if nt_texts:
            _, tl = logits(sess, tok, nt_texts)
            metrics["news_topic_heldout"][v] = task_metrics(nt_labels, tl.argmax(1), labels["topic"])
        s, tl = logits(sess, tok, [r["text"] for r in sanity])
        sp = [labels["sentiment"][i] for i in s.argmax(1)]
        tp = [labels["topic"][i] for i in tl.argmax(1)]
        metrics["news_sanity"][v] = {
            "n": len(sanity),
            "sentiment_accuracy": round(float(np.mean([a == r["sentiment"] for a, r in zip(sp, sanity)])), 4),
            "topic_accuracy": round(float(np.mean([a == r["topic"] for a, r in zip(tp, sanity)])), 4),
            "predictions": [{"text": r["text"], "sentiment": a, "topic": b, "gold_sentiment": r["sentiment"], "gold_topic": r["topic"]}
                            for a, b, r in zip(sp, tp, sanity)],
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
        # The recipe carries what the model was trained on: its arguments and how many items of each kind.
        hist, recipe = meta["history"], {**meta["args"], "train_counts": meta.get("train_counts", {})}
    m = evaluate_dir(a.model_dir, a.data_dir, a.threads, history=hist, recipe=recipe, bench_seconds=a.bench_seconds)
    for v, r in m["validation"].items():
        nv = m["news_validation"][v]["sentfin+finentity"]
        print(v, {t: (x["accuracy"], x["macro_f1"]) for t, x in r.items()},
              "news whole", nv["whole_text_agreeing"]["accuracy"], "entity", nv["entity"]["accuracy"],
              "conflicting", nv["entity_conflicting"]["accuracy"],
              "news topic", m["news_topic_heldout"].get(v, {}).get("accuracy"), m["throughput_items_per_s"][v])


if __name__ == "__main__":
    main()
