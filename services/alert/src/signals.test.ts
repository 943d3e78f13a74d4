import { describe, expect, it } from 'vitest';
import { TOPICS, type ScoredItem } from '@finsent/shared';
import { MARKET_SIGNAL_KEY, SignalSchema, fanOut, takeIfNew, toObservation, type SourcePositions } from './signals.js';

const item = (tickers: string[]): ScoredItem => ({
  schema_version: 1,
  id: 'a'.repeat(32),
  source: 'test',
  source_kind: 'replay',
  url: 'https://x.example.com/1',
  title: 'Bank fails',
  text: 'Bank fails',
  truncated: false,
  lang: 'en',
  published_at: '2026-01-05T14:00:30.000Z',
  fetched_at: '2026-01-05T14:00:31.000Z',
  tickers,
  duplicate_of: null,
  novelty: 0.5,
  entities: [],
  sentiment: 'negative',
  sentiment_scores: { negative: 0.8, neutral: 0.1, positive: 0.1 },
  topic: 'Financials',
  topic_scores: Object.fromEntries(TOPICS.map((t) => [t, t === 'Financials' ? 1 : 0])) as ScoredItem['topic_scores'],
  model_version: 'test',
  scored_at: '2026-01-05T14:00:32.000Z',
});

describe('signals', () => {
  it('fans an item out to the market family and once per distinct ticker, with its source position', () => {
    const records = fanOut(item(['JPM', 'BAC', 'JPM']), { partition: 4, offset: '17' });
    expect(records.map((r) => r.key)).toEqual([MARKET_SIGNAL_KEY, 'ticker:JPM', 'ticker:BAC']);
    const signals = records.map((r) => SignalSchema.parse(JSON.parse(r.value as string)));
    expect(signals.map((s) => s.src)).toEqual([
      [4, '17', 0],
      [4, '17', 1],
      [4, '17', 2],
    ]);
    // the market signal counts for the market and the topic; a ticker signal for its ticker only
    expect(toObservation(signals[0]!, 2)).toMatchObject({
      market: true,
      topic: 'Financials',
      tickers: [],
      novelty: 0.5,
      negative: true,
      pNegative: 0.8,
      partition: 2,
    });
    expect(toObservation(signals[2]!, 5)).toMatchObject({
      market: false,
      topic: null,
      tickers: ['BAC'],
      publishedAtMs: Date.parse('2026-01-05T14:00:30.000Z'),
    });
  });

  it("judges a ticker on its own entity sentiment, the market on the whole item's", () => {
    const scores = (negative: number) => ({ negative, neutral: 0.05, positive: 0.95 - negative });
    const mixed: ScoredItem = {
      ...item(['ACME']),
      title: 'Acme beats estimates as Beta plunges',
      entities: [
        { name: 'Acme', ticker: 'ACME', start: 0, end: 4, sentiment: 'positive', sentiment_scores: scores(0.02) },
        { name: 'Beta', ticker: 'BETA', start: 24, end: 28, sentiment: 'negative', sentiment_scores: scores(0.9) },
      ],
    };
    const signals = fanOut(mixed, { partition: 0, offset: '1' }).map((r) =>
      SignalSchema.parse(JSON.parse(r.value as string)),
    );
    expect(signals.map((s) => [s.ticker, s.negative, s.p_negative])).toEqual([
      [null, true, 0.8],
      ['ACME', false, 0.02],
      ['BETA', true, 0.9],
    ]);
  });

  it('takes a source position once, in order, per scored partition', () => {
    const seen: SourcePositions = {};
    expect(takeIfNew(seen, [0, '9', 0])).toBe(true);
    expect(takeIfNew(seen, [0, '9', 2])).toBe(true); // two tickers of one item in one partition
    expect(takeIfNew(seen, [0, '9', 2])).toBe(false); // sent again after a fan-out restart
    expect(takeIfNew(seen, [0, '8', 5])).toBe(false);
    expect(takeIfNew(seen, [1, '3', 0])).toBe(true); // other scored partitions are independent
    expect(takeIfNew(seen, [0, '10', 0])).toBe(true);
    // offsets compare as integers, not strings
    expect(takeIfNew(seen, [0, '9', 9])).toBe(false);
    expect(seen).toEqual({ 0: ['10', 0], 1: ['3', 0] });
  });
});
