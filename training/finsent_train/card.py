"""Render models/<dir>/MODEL_CARD.md from metrics.json (numbers are never typed by hand)."""
from __future__ import annotations

import json
import re
from pathlib import Path

# The hand-written part of each model's card (what it is, base model, recipe, limitations), by model name.
CARDS = Path(__file__).with_name("cards")


def model_name(model_version: str) -> str:
    """`finsent-bge-small-2026.11.30-5980385` -> `finsent-bge-small` (train.py's --name)."""
    return re.sub(r"-\d{4}\.\d{2}\.\d{2}-[^-]+$", "", model_version)


def _e(x: str) -> str:
    """Escape a markdown table cell (topic names contain '|')."""
    return str(x).replace("|", "\\|")


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def _cm(title: str, names: list[str], cm: list[list[int]]) -> str:
    short = [_e(n if len(n) <= 14 else n[:13] + "…") for n in names]
    head = "| gold \\ pred | " + " | ".join(short) + " |\n|---|" + "---|" * len(names) + "\n"
    rows = "".join(f"| **{short[i]}** | " + " | ".join(str(x) for x in row) + " |\n" for i, row in enumerate(cm))
    return f"**{title}**\n\n{head}{rows}\n"


def _per_class(m: dict) -> str:
    s = "| class | precision | recall | F1 | support |\n|---|---|---|---|---|\n"
    for n, r in m["per_class"].items():
        s += f"| {_e(n)} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1-score']:.3f} | {int(r['support'])} |\n"
    return s


def _heads(rec: dict, key: str) -> str:
    """One head's figure, or `span / ctx` when the run trained both."""
    if key in rec:
        return str(rec[key])
    both = [rec.get(f"{key}_{h}") for h in ("span", "ctx")]
    return " / ".join(str(x) for x in both) if any(x is not None for x in both) else "–"


def write_card(model_dir: Path, metrics: dict, labels: dict) -> None:
    v = metrics["validation"]
    name = model_name(labels["model_version"])
    corrections = metrics.get("recipe", {}).get("train_counts", {}).get("corrections", {})
    lines = [f"# {name} — model card\n", f"**Model version:** `{labels['model_version']}`  ", f"**Normalisation:** `{labels['normalisation']}`  ",
             f"**Max length:** {labels['max_length']} tokens  ",
             f"**Analysts' corrections trained on** (`finsent export-training`, `--corrections`): "
             f"{sum(corrections.values()) if corrections else 0}"
             + (f" ({corrections['sentiment_or_entities']} sentiment or entity, {corrections['topic']} topic)" if corrections else "") + "\n"]
    lines.append("## Validation metrics (official twitter-financial-news validation splits, onnxruntime CPU)\n")
    lines.append("| model | sentiment acc | sentiment macro-F1 | topic acc | topic macro-F1 | news_sanity sentiment acc | news_sanity topic acc |")
    lines.append("|---|---|---|---|---|---|---|")
    for k in v:
        ns = metrics["news_sanity"][k]
        lines.append(f"| {k} | {v[k]['sentiment']['accuracy']:.4f} | {v[k]['sentiment']['macro_f1']:.4f} | {v[k]['topic']['accuracy']:.4f} | "
                     f"{v[k]['topic']['macro_f1']:.4f} | {ns['sentiment_accuracy']:.3f} ({ns['n']}) | {ns['topic_accuracy']:.3f} ({ns['n']}) |")
    lines.append("\nTargets: sentiment acc ≥ 0.88 / macro-F1 ≥ 0.85; topic acc ≥ 0.90 / macro-F1 ≥ 0.88.\n")
    key0 = "int8" if "int8" in v else next(iter(v))
    targets = {("sentiment", "accuracy"): 0.88, ("sentiment", "macro_f1"): 0.85, ("topic", "accuracy"): 0.90, ("topic", "macro_f1"): 0.88}
    lines.append(f"Status ({key0}): " + "; ".join(
        f"{t} {k} {v[key0][t][k]:.4f} {'meets' if v[key0][t][k] >= x else 'MISSES'} {x}" for (t, k), x in targets.items()) + ".\n")
    nv = metrics.get("news_validation", {})
    if nv:
        lines.append("## News (sentfin and finentity `valid` splits; the project's news-topic held-out set)\n")
        lines.append("Whole text: sentiment of texts whose entities all agree (the only ones with a whole-text label). Entity: "
                     "every labelled entity, scored in the same encoder pass as the text. Conflicting: the entities of texts whose "
                     "entities disagree (one label per text is wrong there by construction).\n")
        lines.append("| model | source | whole text acc / macro-F1 (n) | entity acc / macro-F1 (n) | conflicting entity acc / macro-F1 (n) |")
        lines.append("|---|---|---|---|---|")
        for k, per in nv.items():
            for src, m in per.items():
                cell = lambda x: f"{x['accuracy']:.4f} / {x['macro_f1']:.4f} ({x['n']})"  # noqa: E731
                lines.append(f"| {k} | {src} | {cell(m['whole_text_agreeing'])} | {cell(m['entity'])} | {cell(m['entity_conflicting'])} |")
        nt = metrics.get("news_topic_heldout", {})
        if nt:
            lines.append("\nNews topics, held-out set (`training/data/news-topics/heldout.csv`, labelled for the project, never "
                         "trained on): " + "; ".join(f"{k} acc {m['accuracy']:.4f} / macro-F1 {m['macro_f1']:.4f} (n={m['n']})"
                                                    for k, m in nt.items()) + ".\n")
        k0 = "int8" if "int8" in nv else next(iter(nv))
        both = nv[k0].get("sentfin+finentity")
        if both:
            goals = [("whole text where entities agree", both["whole_text_agreeing"]["accuracy"], 0.88),
                     ("entity level", both["entity"]["accuracy"], 0.85),
                     ("entity level, conflicting", both["entity_conflicting"]["accuracy"], 0.80)]
            if k0 in nt:
                goals.append(("news topic held-out", nt[k0]["accuracy"], 0.80))
            lines.append(f"News status ({k0}): " + "; ".join(f"{n} {x:.4f} {'meets' if x >= g else 'MISSES'} {g}" for n, x, g in goals) + ".\n")
    if "int8" in v and "fp32" in v:
        d = {t: round((v["fp32"][t]["accuracy"] - v["int8"][t]["accuracy"]) * 100, 2) for t in ("sentiment", "topic")}
        lines.append(f"int8 − fp32 accuracy loss (points): sentiment {d['sentiment']}, topic {d['topic']} "
                     f"(int8 is the CPU default when both are ≤ 1 point).\n")
    if metrics.get("training_history"):
        lines.append("### Validation metrics per epoch (PyTorch, during training)\n")
        lines.append("With two entity heads trained side by side, entity figures read `span / ctx` (see the card's entity head "
                     "section); the written held-out headlines (`data/news-entities/heldout.ndjson`) are a style unlike both news sets.\n")
        lines.append("| epoch | sentiment acc | sentiment macro-F1 | topic acc | topic macro-F1 | news whole acc | news entity acc | "
                     "conflicting entity acc | written held-out: entity, then conflicting | news topic acc | elapsed s |\n"
                     "|---|---|---|---|---|---|---|---|---|---|---|")
        for h in metrics["training_history"]:
            n, w = h.get("news", {}), h.get("news_written", {})
            lines.append(f"| {h['epoch']} | {h['sentiment_acc']} | {h['sentiment_macro_f1']} | {h['topic_acc']} | {h['topic_macro_f1']} | "
                         f"{n.get('whole_acc', '–')} | {_heads(n, 'entity_acc')} | {_heads(n, 'conflict_entity_acc')} | "
                         f"{_heads(w, 'entity_acc')} / {_heads(w, 'conflict_entity_acc')} | {h.get('news_topic_acc', '–')} | {h['elapsed_s']} |")
        lines.append("")
    lines.append("## Sizes and throughput\n")
    lines.append("| file | size |\n|---|---|")
    for f, n in metrics["sizes_bytes"].items():
        lines.append(f"| {f} | {_mb(n)} |")
    lines.append("")
    lines.append(f"Python onnxruntime CPU throughput, batch 32 × seq 32, {metrics['threads']} intra-op threads "
                 "(2-core dev machine, measured after training finished; other processes may share the cores):\n")
    for k, t in metrics["throughput_items_per_s"].items():
        lines.append(f"- {k}: **{t['items_per_s']} items/s**")
    lines.append("")
    static = CARDS / f"{name}.md"
    if static.exists():
        lines.append(static.read_text(encoding="utf-8"))
    key = "int8" if "int8" in v else next(iter(v))
    lines.append(f"## Per-class metrics ({key}, validation)\n")
    for t in ("sentiment", "topic"):
        lines.append(f"### {t}\n\n" + _per_class(v[key][t]))
    lines.append(f"## Confusion matrices ({key}, validation; rows = gold, columns = predicted)\n")
    for t in ("sentiment", "topic"):
        lines.append(_cm(t, labels[t], v[key][t]["confusion_matrix"]))
    ns = metrics["news_sanity"][key]
    lines.append(f"## news_sanity predictions ({key})\n\n`news_sanity.csv`: {ns['n']} wire-style headlines written by hand for this card "
                 "(not tweets, not from the training data). Tiny — indicative only.\n")
    lines.append("| headline | gold sentiment | pred | gold topic | pred |\n|---|---|---|---|---|")
    for p in ns["predictions"]:
        ok_s = "" if p["sentiment"] == p["gold_sentiment"] else " ✗"
        ok_t = "" if p["topic"] == p["gold_topic"] else " ✗"
        lines.append(f"| {_e(p['text'])} | {p['gold_sentiment']} | {p['sentiment']}{ok_s} | {_e(p['gold_topic'])} | {_e(p['topic'])}{ok_t} |")
    (model_dir / "MODEL_CARD.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
