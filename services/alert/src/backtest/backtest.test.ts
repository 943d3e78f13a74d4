import { describe, expect, it } from 'vitest';
import { TOPICS, type ScoredItem } from '@finsent/shared';
import { fanOut, SignalSchema, toObservation } from '../signals.js';
import { DEFAULT_DETECTOR_CONFIG } from '../detector.js';
import { generateStream, tickerSpikeMix, type BacktestItem } from './stream-generator.js';
import { FALSE_ALARM_BUDGET, detects, explains, runBacktest, type BacktestReport } from './run.js';
import { signalObservations } from './observations.js';
import { markedPoissonLlr } from './oracle.js';
import { formatStream, parseBacktestLine } from './ndjson.js';

const atLeast3Sigma = (r: BacktestReport) => r.spikes.filter((s) => s.label.sigma >= 3);
const detectedIn2Min = (r: BacktestReport) =>
  atLeast3Sigma(r).filter((s) => s.delayS !== null && s.delayS <= 120).length;

describe('backtest', () => {
  // One seeded simulated week through the default detector: the goals of docs/alerts.md that the
  // defaults meet, held as a regression floor (see there for the 2-minute figure it does not).
  const stream = generateStream({ weeks: 1, seed: 7 });
  const report = runBacktest(stream);

  it('generates the same labelled stream for the same seed, with two-company ticker spikes', () => {
    const again = generateStream({ weeks: 1, seed: 7 });
    expect(again.items.length).toBe(stream.items.length);
    expect(again.labels).toEqual(stream.labels);
    expect(
      stream.labels
        .filter((l) => l.kind === 'spike')
        .map((l) => l.sigma)
        .sort(),
    ).toContain(5);
    expect(stream.labels.some((l) => l.kind === 'reprint')).toBe(true);
    const tickerSpike = stream.labels.find((l) => l.scope === 'ticker')!;
    expect(tickerSpike.partner).toBeDefined();
    // Its items name both companies, with opposite news.
    const during = stream.items.filter(
      (i) =>
        i.publishedAtMs >= tickerSpike.onsetMs &&
        i.publishedAtMs < tickerSpike.endMs &&
        i.tickers.includes(tickerSpike.partner!) &&
        i.tickers.includes(tickerSpike.key),
    );
    expect(during.length).toBeGreaterThan(5);
    for (const i of during) expect(i.entities!.map((e) => e.negative).sort()).toEqual([false, true]);
    // The truth the oracle is told: a ticker's baseline is a real share and rate.
    const base = stream.truth('ticker', tickerSpike.key, tickerSpike.onsetMs)!;
    expect(base.rate).toBeGreaterThan(0);
    expect(base.share).toBeGreaterThan(0);
    expect(base.share).toBeLessThan(1);
  });

  it('builds a ticker spike of k σ from its ordinary mentions and two-company items on top', () => {
    const mix = tickerSpikeMix(0.2, 2, 3); // σ = 0.28: 0.2 + 0.85, capped at 0.9
    expect(mix.extraRate).toBeCloseTo(8, 9); // at most 4× the volume on top
    expect(mix.pNeg).toBe(1);
    expect(mix.share).toBeCloseTo(0.84, 2);
    const small = tickerSpikeMix(0.2, 4, 2); // σ = 0.2: 0.6, reached at doubled volume
    expect(small.extraRate).toBeCloseTo(4, 9);
    expect(small.share).toBeCloseTo(0.6, 6);
  });

  it('feeds the detectors what the fan-out does: each ticker on its own entity sentiment', () => {
    const twoCompany = stream.items.filter((i) => (i.entities?.length ?? 0) === 2).slice(0, 20);
    const plain = stream.items.filter((i) => !i.entities).slice(0, 5);
    expect(twoCompany.length).toBe(20);
    for (const item of [...twoCompany, ...plain]) {
      const viaService = fanOut(asScored(item), { partition: 0, offset: '1' }).map((r) => ({
        key: r.key,
        o: toObservation(SignalSchema.parse(JSON.parse(r.value as string)), 0),
      }));
      const mine = signalObservations(item).map(({ signalKey, observation }) => ({
        key: signalKey,
        o: { ...observation, partition: 0 },
      }));
      expect(mine).toEqual(viaService.map(({ key, o }) => ({ key, o: { ...o, pNegative: o.negative ? 0.9 : 0.1 } })));
    }
  });

  it('scores a ticker spike on its ticker only; an alert on its partner (good news) is a false alarm', () => {
    const l = {
      kind: 'spike' as const,
      scope: 'ticker' as const,
      key: 'BETA',
      sigma: 3,
      onsetMs: 0,
      endMs: 1,
      partner: 'ACME',
      topic: 'Earnings',
    };
    expect(detects({ scope: 'ticker', key: 'BETA' }, l)).toBe(true);
    expect(detects({ scope: 'market', key: '*' }, l)).toBe(false);
    expect(explains({ scope: 'topic', key: 'Earnings' }, l)).toBe(true);
    expect(explains({ scope: 'ticker', key: 'ACME' }, l)).toBe(false);
    expect(detects({ scope: 'market', key: '*' }, { ...l, scope: 'topic', key: 'Macro' })).toBe(true);
  });

  it('meets the false-alarm and reprint goals and catches every large spike', () => {
    const s = report.summary;
    expect(s.detector).toBe('live');
    expect(s.keys).toBe(17); // market, 8 topics, 8 tickers
    expect(s.false_alarms_per_topic_week).toBeLessThanOrEqual(FALSE_ALARM_BUDGET.perKeyWeek);
    expect(s.max_false_alarms_per_key_week).toBeLessThanOrEqual(2);
    expect(s.reprint_alerts).toBe(0);
    // Every spike of 3σ or more is caught while it lasts; 5σ ones typically within 2 minutes.
    expect(report.spikes.filter((r) => r.label.sigma >= 3 && r.delayS === null)).toEqual([]);
    expect(s.by_sigma['5']!.median_delay_s!).toBeLessThanOrEqual(120);
    expect(s.by_scope.ticker!.spikes).toBe(8);
  });

  it('keeps the live detector within reach of the oracle told the true baselines', () => {
    // The oracle (oracle.ts) at its threshold calibrated to the same false-alarm budget: what the best detector
    // could do on this stream. MARGIN: the live detector must estimate the baselines the oracle is told; on the
    // four 4-week seeds it stays within 1–6 of 88 ≥ 3σ spikes of it (docs/alerts.md, Backtest); on this week it
    // matches it (15 of 18). The windows alone (both CUSUMs off: 12) fall outside the margin.
    const MARGIN = 2;
    const oracle = runBacktest(stream, { detector: 'oracle' });
    expect(oracle.summary.detector).toBe('oracle');
    expect(oracle.summary.false_alarms_per_topic_week).toBeLessThanOrEqual(FALSE_ALARM_BUDGET.perKeyWeek);
    expect(oracle.summary.max_false_alarms_per_key_week).toBeLessThanOrEqual(FALSE_ALARM_BUDGET.worstKeyWeek);
    expect(detectedIn2Min(report)).toBeGreaterThanOrEqual(detectedIn2Min(oracle) - MARGIN);
    expect(report.summary.false_alarms_per_topic_week).toBeLessThanOrEqual(FALSE_ALARM_BUDGET.perKeyWeek);
    const weaker = runBacktest(stream, {
      config: { ...DEFAULT_DETECTOR_CONFIG, rateCusumThreshold: 0, cusumThreshold: 0 },
    });
    expect(detectedIn2Min(weaker)).toBeLessThan(detectedIn2Min(oracle) - MARGIN);
  });

  it("the oracle's increments: a negative item is evidence, another item less so, time without items drains", () => {
    const llr = markedPoissonLlr(4, 0.2, { shiftSigma: 3, volumeRatio: 2 });
    expect(llr.drainPerMinute).toBe(4);
    expect(llr.negative).toBeGreaterThan(1);
    expect(llr.other).toBeLessThan(llr.negative);
    // At baseline, the expected increase per minute (items' jumps minus drain) is negative: no drift to an alarm.
    expect(4 * (0.2 * llr.negative + 0.8 * llr.other) - llr.drainPerMinute).toBeLessThan(0);
  });

  it('reads back what it writes', () => {
    const some = stream.items
      .filter((i) => i.entities)
      .slice(0, 10)
      .concat(stream.items.slice(0, 50));
    const lines = [...formatStream({ labels: stream.labels, items: some })];
    const parsed = lines.map((l, n) => parseBacktestLine(l, n + 1));
    expect(parsed.filter((p) => p && 'label' in p).map((p) => (p as { label: unknown }).label)).toEqual(stream.labels);
    expect(parsed.filter((p) => p && 'item' in p).map((p) => (p as { item: unknown }).item)).toEqual(some);
    expect(parseBacktestLine('{"topic":"Markets"}', 9)).toEqual({
      error: 'line 9: an item needs published_at, sentiment and topic',
    });
  });
});

/** A backtest item as the scored item the fan-out reads (v2, entities at their own sentiment). */
function asScored(i: BacktestItem): ScoredItem {
  const scores = (negative: boolean) =>
    negative ? { negative: 0.9, neutral: 0.05, positive: 0.05 } : { negative: 0.1, neutral: 0.45, positive: 0.45 };
  return {
    schema_version: 2,
    id: i.id,
    source: 'backtest',
    source_kind: 'replay',
    url: i.url,
    title: i.title,
    text: i.title,
    truncated: false,
    lang: 'en',
    published_at: new Date(i.publishedAtMs).toISOString(),
    fetched_at: new Date(i.publishedAtMs).toISOString(),
    tickers: i.tickers,
    duplicate_of: null,
    novelty: i.novelty,
    entities: (i.entities ?? []).map((e, n) => ({
      name: e.ticker,
      ticker: e.ticker,
      start: n * 10,
      end: n * 10 + 4,
      sentiment: e.negative ? 'negative' : 'positive',
      sentiment_scores: scores(e.negative),
    })),
    // The generator's topics are the product's own names; the type is the closed list of the classifier's.
    sentiment: i.negative ? 'negative' : 'neutral',
    sentiment_scores: scores(i.negative),
    topic: i.topic as ScoredItem['topic'],
    topic_scores: Object.fromEntries(TOPICS.map((t) => [t, t === TOPICS[0] ? 1 : 0])) as ScoredItem['topic_scores'],
    model_version: 'test',
    scored_at: new Date(i.publishedAtMs).toISOString(),
  } as ScoredItem;
}
