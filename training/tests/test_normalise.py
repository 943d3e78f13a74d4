"""Checks the Python normaliser against the vectors shared with the TypeScript one."""
import json
from pathlib import Path

from finsent_train.normalise import NORMALISATION_VERSION, normalise

ROOT = Path(__file__).resolve().parents[2]
VECTORS = ROOT / "models" / "finsent-minilm" / "normalisation_vectors.json"


def _vectors():
    return json.loads(VECTORS.read_text(encoding="utf-8"))


def test_version():
    assert NORMALISATION_VERSION == "v1"


def test_vectors():
    vecs = _vectors()
    assert len(vecs) >= 25
    bad = [(v["input"], normalise(v["input"]), v["expected"]) for v in vecs if normalise(v["input"]) != v["expected"]]
    assert not bad, bad


def test_idempotent():
    for v in _vectors():
        assert normalise(v["expected"]) == v["expected"]


def test_labels_version():
    labels = ROOT / "models" / "finsent-minilm" / "labels.json"
    if labels.exists():
        assert json.loads(labels.read_text())["normalisation"] == NORMALISATION_VERSION
