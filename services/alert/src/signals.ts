/**
 * Key ownership for scale-out. The scored topic is keyed by item id, but detection needs every
 * item of a key in one place. The fan-out stage (fan-out.ts) republishes each scored item to the
 * signals topic, keyed by what it counts towards:
 *
 * - `market`: one signal per item, carrying its topic. The market key and every topic key are
 *   judged together because a market-wide spike suppresses its topic children in the same
 *   minute; they are 21 keys of cheap counting, so one owner is no bottleneck.
 * - `ticker:<T>`: one signal per ticker of the item. Tickers are the many keys, spread over the
 *   partitions by Kafka's partitioner.
 *
 * The detector group splits the signals partitions between alert processes: each key belongs to
 * exactly one partition, each partition to exactly one process, so no alert fires twice.
 *
 * A signal carries its source position (scored partition, offset, index within the item's
 * fan-out). The fan-out commits only after its signals are acknowledged, so a crash replays
 * signals already sent; within one signals partition they arrive in source order, and
 * `SourcePositions` drops any that is not newer than the last one taken.
 */
import { z } from 'zod';
import { SERVICE_TOPIC_SPECS, type BusRecord, type ScoredItem, type TopicConfig } from '@finsent/shared';
import type { Observation } from './detector.js';

export const SIGNALS_TOPIC_SPEC: TopicConfig = SERVICE_TOPIC_SPECS.alertSignals;
export const SIGNALS_TOPIC = SIGNALS_TOPIC_SPEC.topic;

export const MARKET_SIGNAL_KEY = 'market';

export const SignalSchema = z.object({
  v: z.literal(1),
  /** [scored partition, scored offset, index within the item's signals]. */
  src: z.tuple([z.number().int().nonnegative(), z.string().regex(/^\d+$/), z.number().int().nonnegative()]),
  id: z.string(),
  title: z.string(),
  url: z.string().nullable(),
  published_at_ms: z.number(),
  negative: z.boolean(),
  p_negative: z.number(),
  novelty: z.number(),
  /** Set on the market signal: the item's topic. */
  topic: z.string().nullable(),
  /** Set on a ticker signal. */
  ticker: z.string().nullable(),
});
export type Signal = z.infer<typeof SignalSchema>;

/**
 * The signals of one scored item: one for the market family, one per distinct ticker. A ticker signal carries
 * that ticker's own sentiment when the item scored it as an entity ("Acme beats as Beta plunges" is negative for
 * Beta only); a ticker without an entity (v1 items, tickers a pusher set) carries the whole item's.
 */
export function fanOut(item: ScoredItem, source: { partition: number; offset: string }): BusRecord[] {
  const common = {
    v: 1 as const,
    id: item.id,
    title: item.title || item.text.slice(0, 200),
    url: item.url,
    published_at_ms: Date.parse(item.published_at),
    negative: item.sentiment === 'negative',
    p_negative: item.sentiment_scores.negative ?? 0,
    novelty: item.novelty,
  };
  // The first entity of a ticker speaks for it, as in the store's ticker trends (indexOf).
  const entityOf = new Map<string, ScoredItem['entities'][number]>();
  for (const e of item.entities) if (e.ticker !== null && !entityOf.has(e.ticker)) entityOf.set(e.ticker, e);
  const tickers = [...new Set([...item.tickers, ...entityOf.keys()])];
  const ownSentiment = (t: string) => {
    const e = entityOf.get(t);
    return e ? { negative: e.sentiment === 'negative', p_negative: e.sentiment_scores.negative ?? 0 } : {};
  };
  const signals: Array<[string, Signal]> = [
    [MARKET_SIGNAL_KEY, { ...common, src: [source.partition, source.offset, 0], topic: item.topic, ticker: null }],
    ...tickers.map((t, i): [string, Signal] => [
      `ticker:${t}`,
      { ...common, ...ownSentiment(t), src: [source.partition, source.offset, i + 1], topic: null, ticker: t },
    ]),
  ];
  return signals.map(([key, s]) => ({ key, value: JSON.stringify(s) }));
}

/** What the detector counts from a signal read on `partition` of the signals topic. */
export function toObservation(s: Signal, partition: number): Observation {
  return {
    id: s.id,
    title: s.title,
    url: s.url,
    publishedAtMs: s.published_at_ms,
    negative: s.negative,
    pNegative: s.p_negative,
    market: s.topic !== null,
    topic: s.topic,
    tickers: s.ticker === null ? [] : [s.ticker],
    novelty: s.novelty,
    partition,
  };
}

/**
 * The newest source position taken from each scored partition, for one signals partition.
 * Serialisable as it is (it is saved with the detector state).
 */
export type SourcePositions = Record<string, [offset: string, index: number]>;

/** Records `src` and returns true if it is newer than anything taken from its scored partition. */
export function takeIfNew(positions: SourcePositions, src: Signal['src']): boolean {
  const [partition, offset, index] = src;
  const last = positions[partition];
  if (last) {
    const [lastOffset, lastIndex] = [BigInt(last[0]), last[1]];
    const o = BigInt(offset);
    if (o < lastOffset || (o === lastOffset && index <= lastIndex)) return false;
  }
  positions[partition] = [offset, index];
  return true;
}
