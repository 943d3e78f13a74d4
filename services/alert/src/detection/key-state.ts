/**
 * What the detector keeps per key (the market, a topic, a ticker) and the small operations every test on it
 * shares. The fields themselves are listed once, in the snapshot schema (snapshot.ts): a field added there is
 * persisted and restored without a second list to keep in step. In memory, two of them differ from their JSON
 * form: the minutes are a Map, and "never fired" is -Infinity (JSON has none, so the snapshot holds null).
 */
import type { Alert } from '@finsent/shared';
import type { DetectorConfig } from './detector-config.js';
import type { Bucket, KeySnapshot, Run } from './snapshot.js';

export const MINUTE = 60_000;

/** One scored item as the detector sees it (signals.ts makes them from the fan-out's signals). */
export interface Observation {
  id: string;
  title: string;
  url: string | null;
  publishedAtMs: number;
  negative: boolean;
  /** Probability of negative, to rank headlines. */
  pNegative: number;
  /** Whether the item counts towards the market key (signals: only the market family's do). */
  market: boolean;
  /** The topic key it counts towards, if any. */
  topic: string | null;
  tickers: string[];
  /** 1 for a new story, less for reprints. */
  novelty: number;
  partition: number;
}

export type KeyState = Omit<KeySnapshot, 'buckets' | 'lastFiredMinute'> & {
  /** Weighted counts per minute of event time, for the minutes still in (or entering) the window. */
  buckets: Map<number, Bucket>;
  /** -Infinity: never fired. */
  lastFiredMinute: number;
};

export const emptyRun = (): Run => ({ total: 0, negative: 0, headlines: [], fromMinute: null });

/** A key seen for the first time: the prior as baseline, armed, every statistic at rest. */
export function newKeyState(scope: Alert['scope'], key: string, c: DetectorConfig): KeyState {
  return {
    scope,
    key,
    buckets: new Map(),
    mean: c.priorShare,
    variance: c.priorVariance,
    learned: 0,
    armed: true,
    lastFiredMinute: -Infinity,
    cusum: 0,
    run: emptyRun(),
    volume: 0,
    rate: 0,
    rateTrend: 0,
    rateMinute: null,
    rateCusum: 0,
    rateCusumAtMs: 0,
    rateRun: emptyRun(),
  };
}

/** Adds a negative item's headline to `list`, keeping the five most negative. */
export function keepTopHeadline(list: Bucket['headlines'], o: Observation): void {
  list.push({ id: o.id, title: o.title, url: o.url, p: o.pNegative });
  list.sort((x, y) => y.p - x.p);
  list.length = Math.min(list.length, 5);
}

/** Whether the key may fire at `minute`: re-armed since its last alert and out of its cooldown. */
export function canFire(state: KeyState, minute: number, c: DetectorConfig): boolean {
  return state.armed && minute - state.lastFiredMinute >= c.cooldownMinutes;
}

/**
 * Both CUSUMs back to rest. Whichever test fired, the evidence so far is spent: a CUSUM still high from this
 * spike would otherwise fire again the moment the key re-arms.
 */
export function resetCusums(state: KeyState): void {
  state.cusum = 0;
  state.run = emptyRun();
  state.rateCusum = 0;
  state.rateRun = emptyRun();
}

/** The key fired at `minute`: it stays quiet until it re-arms and its cooldown has passed. */
export function markFired(state: KeyState, minute: number): void {
  state.armed = false;
  state.lastFiredMinute = minute;
  resetCusums(state);
}
