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
