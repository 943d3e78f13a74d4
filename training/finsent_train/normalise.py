"""Text normalisation v1, shared by training and serving.

The TypeScript twin lives in ``services/classify/src/normalise.ts``; both are
checked against ``models/finsent-minilm/normalisation_vectors.json``.  Keep the
two implementations step-for-step identical (same order, same character sets).

Steps (v1):
  1. Unicode NFKC.
  2. Decode the five common HTML entities (&amp; &lt; &gt; &quot; &#39;/&apos;),
     as found in tweet dumps and RSS feeds.
  3. Replace URLs (``http://``, ``https://``, ``www.`` up to the next
     whitespace) with a space.
  4. Remove emoji / pictographs (Extended_Pictographic, skin-tone modifiers,
     regional indicators, variation selectors, ZWJ, keycap) and zero-width
     characters.
  5. Cashtags: ``$AAPL`` -> ``AAPL`` (a ``$`` directly followed by a letter;
     ``$5`` is kept).
  6. Mentions: ``@name`` -> ``name`` (an ``@`` not preceded by a word
     character or ``@`` and followed by a word character; e-mail addresses
     are kept).
  7. Collapse whitespace (incl. control characters) to a single space; trim.

Lower-casing is left to the (uncased) tokenizer.
"""
from __future__ import annotations

import unicodedata

import regex as re

NORMALISATION_VERSION = "v1"

# Explicit whitespace set (identical in JS) -- Python's and JS's ``\s`` differ.
_WS = r"\x00-\x20\x7F\x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000"

_ENTITIES = [("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&apos;", "'"), ("&amp;", "&")]
_URL_RE = re.compile(r"(?:https?://|www\.)[^" + _WS + r"]*", re.IGNORECASE)
_EMOJI_RE = re.compile(
    r"[\p{Extended_Pictographic}\U0001F3FB-\U0001F3FF\U0001F1E6-\U0001F1FF\uFE00-\uFE0F\u200B-\u200D\u2060\u20E3\uFEFF]"
)
_CASHTAG_RE = re.compile(r"\$(?=[A-Za-z])")
_MENTION_RE = re.compile(r"(?<![A-Za-z0-9_@])@(?=[A-Za-z0-9_])")
_WS_RE = re.compile(r"[" + _WS + r"]+")


def normalise(text: str) -> str:
    if not text:
        return ""
    t = unicodedata.normalize("NFKC", text)
    for ent, ch in _ENTITIES:
        t = t.replace(ent, ch)
    t = _URL_RE.sub(" ", t)
    t = _EMOJI_RE.sub("", t)
    t = _CASHTAG_RE.sub("", t)
    t = _MENTION_RE.sub("", t)
    t = _WS_RE.sub(" ", t)
    return t.strip()
