/**
 * What the detectors see of a backtest item: the observations its signals make in the service (signals.ts:
 * `fanOut`, then `toObservation`), without the JSON round trip. One for the market family, judged on the whole
 * item's sentiment; one per distinct ticker (the item's tickers, then its entities'), judged on that ticker's own
 * entity sentiment when the item scored it, else on the whole item's. backtest.test.ts checks it against the
 * real fan-out.
 */
import type { Observation } from '../detector.js';
import type { BacktestItem } from './stream-generator.js';

export const MARKET_SIGNAL_KEY = 'market';

/** A headline's probability of negative, for ranking: the backtest has only labels. */
const pNegative = (negative: boolean) => (negative ? 0.9 : 0.1);

export function signalObservations(
  item: BacktestItem,
): Array<{ signalKey: string; observation: Omit<Observation, 'partition'> }> {
  const observation = (negative: boolean, topic: string | null, tickers: string[]) => ({
    id: item.id,
    title: item.title,
    url: item.url,
    publishedAtMs: item.publishedAtMs,
    negative,
    pNegative: pNegative(negative),
    market: topic !== null,
    topic,
    tickers,
    novelty: item.novelty,
  });
  const out = [{ signalKey: MARKET_SIGNAL_KEY, observation: observation(item.negative, item.topic, []) }];
  const entities = item.entities ?? [];
  if (item.tickers.length === 0 && entities.length === 0) return out; // most items: no company, no Map or Set
  // The first entity of a ticker speaks for it; tickers in order: the item's, then its entities'.
  const own = new Map<string, boolean>();
  for (const e of entities) if (!own.has(e.ticker)) own.set(e.ticker, e.negative);
  for (const t of new Set([...item.tickers, ...own.keys()]))
    out.push({ signalKey: `ticker:${t}`, observation: observation(own.get(t) ?? item.negative, null, [t]) });
  return out;
}

/**
 * The signals partition of a key (FNV-1a; Kafka's murmur2 spreads keys differently, which only changes which
 * tickers share a detector, not what any key sees).
 */
export function signalsPartition(signalKey: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < signalKey.length; i++) h = Math.imul(h ^ signalKey.charCodeAt(i), 0x01000193);
  return (h >>> 0) % partitions;
}
