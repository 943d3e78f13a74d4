from finsent_train.data import headline_variant


def test_headline_variant_strips_ticker_prefix_and_url():
    raw = "$CCL $RCL - Nomura points to bookings weakness at Carnival https://t.co/yGjpT2ReD3"
    assert headline_variant(raw) == "Nomura points to bookings weakness at Carnival"


def test_headline_variant_keeps_dollar_amounts():
    raw = "$PFE - Pfizer to spend $470M on vaccine research - Bloomberg https://t.co/x"
    assert headline_variant(raw) == "Pfizer to spend $470M on vaccine research - Bloomberg"


def test_headline_variant_trailing_tickers_and_hashtags():
    raw = "Why am I bullish today on $SPY $SPX $ES_F https://t.co/x #stocks #trading"
    assert headline_variant(raw) == "Why am I bullish today on"


def test_normalised_offset_maps_spans_through_normalisation():
    from finsent_train.data import entity_span, normalise

    raw = "  Big   news: $ACME &amp; Beta  up"
    norm = normalise(raw)
    s, e = entity_span(raw, raw.index("$ACME"), raw.index("$ACME") + 5, "ACME")
    assert norm[s:e] == "ACME"
    s, e = entity_span(raw, None, None, "beta")  # no offsets: found by name
    assert norm[s:e] == "Beta"
    assert entity_span(raw, None, None, "Gamma") is None


def test_entity_token_range_counts_tokens_before_and_through_the_span():
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from tokenizers.pre_tokenizers import Whitespace

    tok = Tokenizer(WordLevel({w: i for i, w in enumerate("[UNK] acme beats as beta corp plunges".split())}, unk_token="[UNK]"))
    tok.pre_tokenizer = Whitespace()
    from finsent_train.train import entity_token_mask, entity_token_range

    text = "acme beats as beta corp plunges"
    assert entity_token_range(tok, text, 0, 4) == (1, 2)
    assert entity_token_range(tok, text, 14, 23) == (4, 6)
    m, visible = entity_token_mask([(4, 6), (9, 10)], 8)  # the second span was truncated away
    assert m[0].tolist() == [0, 0, 0, 0, 1, 1, 0, 0] and m[1].tolist() == [0] * 8 and visible == [True, False]


def test_read_corrections_takes_corrected_sentiments_entities_and_topics(tmp_path):
    """The lines `finsent export-training` writes: entity spans found, a null label left out, topics by label id."""
    import json

    from finsent_train.data import SENTIMENT_LABELS, read_corrections

    path = tmp_path / "corrections.ndjson"
    lines = [
        {"id": "correction-a", "text": "JPMorgan beats as Goldman slumps", "sentiment": None, "topic": "Earnings",
         "entities": [{"name": "Goldman", "sentiment": "negative", "start": 18, "end": 25}]},
        {"id": "correction-b", "text": "Fed holds rates steady", "sentiment": "neutral", "topic": None, "entities": []},
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    items, texts, labels = read_corrections(path, ["Earnings", "Fed | Central Banks"])
    assert [(it.id, it.sentiment) for it in items] == [("correction-a", None), ("correction-b", SENTIMENT_LABELS.index("neutral"))]
    span = items[0].entities[0]
    assert (items[0].text[span.start:span.end], span.label) == ("Goldman", SENTIMENT_LABELS.index("negative"))
    assert (texts, labels) == (["JPMorgan beats as Goldman slumps"], [0])
