"""Data loading, label maps and augmentation for the two twitter-financial-news tasks."""
from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

import regex as re

from .normalise import normalise

# Dataset label index -> project label. 0=Bearish, 1=Bullish, 2=Neutral.
SENTIMENT_LABELS = ["negative", "positive", "neutral"]


def default_data_dir() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "shared" / "data"
        if (cand / "twitter-financial-news").is_dir():
            return cand
        cand = parent.parent / "shared" / "data"
        if (cand / "twitter-financial-news").is_dir():
            return cand
    return Path("/work/shared/data")


def read_topics(data_dir: Path) -> list[str]:
    lines = (data_dir / "twitter-financial-news" / "topics.txt").read_text(encoding="utf-8").splitlines()
    return [l.strip() for l in lines if l.strip()]


def read_csv(path: Path) -> tuple[list[str], list[int]]:
    texts, labels = [], []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            texts.append(row["text"])
            labels.append(int(row["label"]))
    return texts, labels


@dataclass
class TaskData:
    name: str
    train_texts: list[str]
    train_labels: list[int]
    valid_texts: list[str]
    valid_labels: list[int]
    labels: list[str]


def load_tasks(data_dir: Path) -> dict[str, TaskData]:
    base = data_dir / "twitter-financial-news"
    out = {}
    for name, labels in (("sentiment", SENTIMENT_LABELS), ("topic", read_topics(data_dir))):
        tr_x, tr_y = read_csv(base / f"{'sent' if name == 'sentiment' else 'topic'}_train.csv")
        va_x, va_y = read_csv(base / f"{'sent' if name == 'sentiment' else 'topic'}_valid.csv")
        assert max(tr_y) < len(labels) and max(va_y) < len(labels)
        out[name] = TaskData(name, [normalise(t) for t in tr_x], tr_y, [normalise(t) for t in va_x], va_y, labels)
    return out


# --- augmentation: make tweets look like wire headlines -------------------------------------------
# Applied to *normalised* text (cashtags already lost their '$'), so we detect leading ticker lists
# like "AAPL MSFT - ..." / "AAPL: ..." and standalone all-caps tickers that were cashtags.
_LEAD_TICKERS = re.compile(r"^(?:[A-Z][A-Z0-9.]{0,5}[\s,]+){0,6}[A-Z][A-Z0-9.]{0,5}\s*[-:–—|]\s+")
_TRAILING_TICKERS = re.compile(r"(?:\s+[A-Z][A-Z0-9.]{0,5}){2,}\s*$")
_TRAIL_JUNK = re.compile(r"\s*(?:[-:|–—]\s*)+$")
_VIA = re.compile(r"\s*(?:\(via [^)]*\)|via \S+)\s*$", re.IGNORECASE)


def cashtag_positions(raw: str) -> list[str]:
    return re.findall(r"\$([A-Za-z][A-Za-z0-9.]{0,6})", raw)


def headline_variant(raw: str) -> str:
    """Return a news-headline-like variant of a raw tweet (before normalisation):
    cashtags that are standalone tickers are removed, leading "TICKER - " prefixes dropped,
    trailing ticker lists and "via @x" tails removed. Then normalised."""
    t = re.sub(r"https?://\S+|www\.\S+", " ", raw)
    t = _VIA.sub("", t)
    t = re.sub(r"(?:\s+#\w+)+\s*$", "", t)
    # leading "$AAPL $MSFT - " / "$AAPL: " prefix
    t = re.sub(r"^\s*(?:\$[A-Za-z][A-Za-z0-9._]*[\s,]*)+\s*[-:–—|]?\s*", "", t)
    # remaining cashtags: drop the whole token when it is in a list or at the end, else keep the word
    t = re.sub(r"(?:\s*\$[A-Za-z][A-Za-z0-9._]*){2,}", " ", t)
    t = re.sub(r"\s*\$[A-Za-z][A-Za-z0-9._]*\s*$", "", t)
    t = re.sub(r"\$([A-Za-z][A-Za-z0-9._]*)", r"\1", t)
    t = normalise(t)
    t = _TRAIL_JUNK.sub("", t).strip()
    return t


def make_variants(raw_texts: list[str]) -> list[str | None]:
    """For each raw text, the headline variant if it differs meaningfully from the plain normalised text."""
    out: list[str | None] = []
    for r in raw_texts:
        v = headline_variant(r)
        n = normalise(r)
        out.append(v if v and v != n and len(v.split()) >= 3 else None)
    return out


def load_raw_train(data_dir: Path) -> dict[str, list[str]]:
    base = data_dir / "twitter-financial-news"
    return {
        "sentiment": read_csv(base / "sent_train.csv")[0],
        "topic": read_csv(base / "topic_train.csv")[0],
    }


def pick_texts(norm: list[str], variants: list[str | None], p: float, rng: random.Random) -> list[str]:
    return [v if (v is not None and rng.random() < p) else n for n, v in zip(norm, variants)]


# --- news with entity-level sentiment (sentfin, finentity) and the project's news-topic set ---------------------
NEWS_SOURCES = ("sentfin", "finentity")


@dataclass
class EntitySpan:
    name: str
    start: int  # character offsets in the NORMALISED text
    end: int
    label: int


@dataclass
class NewsItem:
    id: str
    source: str
    text: str  # normalised
    sentiment: int | None  # whole-text label; None when the entities conflict
    entities: list[EntitySpan]


def normalised_offset(raw: str, pos: int) -> int:
    """Where raw[pos] lands in normalise(raw). The sentinel keeps the prefix's trailing space from being
    trimmed and stands in for a character that normalisation might drop ('$' of a cashtag)."""
    return max(0, len(normalise(raw[:pos] + "x")) - 1)  # clamped: a position inside a URL swallows the sentinel


def entity_span(raw: str, start: int | None, end: int | None, name: str) -> tuple[int, int] | None:
    """The entity's [start, end) in normalise(raw); the name is searched (case-insensitively) when the data
    gives no offsets. None when it cannot be found."""
    if start is None or end is None:
        i = raw.lower().find(name.lower())
        if i < 0:
            return None
        start, end = i, i + len(name)
    s, e = normalised_offset(raw, start), normalised_offset(raw, end)
    return (s, e) if e > s else None


def read_news(path: Path, source: str) -> list[NewsItem]:
    import json

    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        ents = []
        for e in r["entities"]:
            span = entity_span(r["text"], e.get("start"), e.get("end"), e["name"])
            if span is not None:
                ents.append(EntitySpan(e["name"], span[0], span[1], SENTIMENT_LABELS.index(e["sentiment"])))
        whole = r.get("sentiment")
        out.append(NewsItem(r["id"], source, normalise(r["text"]), SENTIMENT_LABELS.index(whole) if whole else None, ents))
    return out


def load_news(data_dir: Path, split: str) -> dict[str, list[NewsItem]]:
    return {s: read_news(data_dir / s / f"{split}.ndjson", s) for s in NEWS_SOURCES}


def news_entities_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "data" / "news-entities"


def load_written_news(split: str) -> list[NewsItem]:
    """The project's own entity-labelled headlines (data/news-entities/<split>.ndjson, same shape as sentfin's);
    none when the file is not there."""
    path = news_entities_dir() / f"{split}.ndjson"
    return read_news(path, "written") if path.exists() else []


def read_corrections(path: Path, topics: list[str]) -> tuple[list[NewsItem], list[str], list[int]]:
    """Analysts' corrections exported by `finsent export-training` (news-entities shape plus `topic`): the items with a
    corrected sentiment or entity, and the texts with a corrected topic (normalised) with their label ids."""
    import json

    items = [it for it in read_news(path, "correction") if it.entities or it.sentiment is not None]
    texts, labels = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and (topic := json.loads(line).get("topic")):
            texts.append(normalise(json.loads(line)["text"]))
            labels.append(topics.index(topic))
    return items, texts, labels


def news_topics_dir() -> Path:
    return Path(__file__).resolve().parents[1] / "data" / "news-topics"


def read_news_topics(path: Path, topics: list[str]) -> tuple[list[str], list[int]]:
    """The project's news-topic set (`id,text,topic`, see data/news-topics/GUIDELINE.md): normalised texts, label ids."""
    texts, labels = [], []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            texts.append(normalise(row["text"]))
            labels.append(topics.index(row["topic"]))
    return texts, labels
