/**
 * Backtest runner (pure): feeds a labelled stream through the spike detector in simulated time and
 * scores it. Simulated processing time is the items' event time (no ingest delay) with a clock
 * tick every `tickMs`, as the worker's timer does; delays are measured on that clock, so they
 * include the allowed lateness and minute bucketing, not just the statistics.
 *
 * Items reach the detectors as they do in the service: each is fanned out into signals (signals.ts: one for the
 * market family, one per ticker with that ticker's own entity sentiment; see observations.ts), each signal goes to
 * its key's signals partition, and each partition has its own detector.
 *
 * `detector: 'oracle'` scores the reference detector of oracle.ts instead, told the generator's true baselines,
 * with its threshold calibrated to the same false-alarm budget the goals set.
 */
import type { Alert } from '@finsent/shared';
import { SpikeDetector, type DetectorConfig, DEFAULT_DETECTOR_CONFIG, type Observation } from '../detector.js';
import type { BacktestItem, SpikeLabel, StreamTruth } from './stream-generator.js';
import { signalObservations, signalsPartition } from './observations.js';
import { DEFAULT_ORACLE_CONFIG, OracleDetector } from './oracle.js';

export interface SpikeResult {
  label: SpikeLabel;
  /** Seconds from onset to the first matching alert, or null if none fired while it lasted. */
  delayS: number | null;
  alertId: string | null;
}

interface Tally {
  spikes: number;
  detected: number;
  median_delay_s: number | null;
}

export interface BacktestReport {
  spikes: SpikeResult[];
  alerts: Alert[];
  falseAlarms: Alert[];
  reprintAlerts: Alert[];
  summary: {
    detector: 'live' | 'oracle';
    /** The oracle's calibrated CUSUM threshold (oracle only). */
    oracle_threshold?: number;
    spikes: number;
    /** Spikes alerted within `detectWithinS` of onset. */
    detected: number;
    median_delay_s: number | null;
    /** False alarms per key-week (keys: market, topics and tickers; the name is kept for scripts). */
    false_alarms_per_topic_week: number;
    max_false_alarms_per_key_week: number;
    reprint_alerts: number;
    alerts: number;
    weeks: number;
    keys: number;
    detect_within_s: number;
    by_sigma: Record<string, Tally>;
    by_scope: Record<string, Tally & { keys: number; false_alarms: number }>;
  };
}

export interface BacktestStream {
  items: BacktestItem[];
  labels: SpikeLabel[];
  startMs: number;
  endMs: number;
  /** The generator's true baselines (a generated stream only): what the oracle is told. */
  truth?: StreamTruth;
}

export interface BacktestOptions {
  config?: DetectorConfig;
  tickMs?: number;
  partitions?: number;
  detectWithinS?: number;
  detector?: 'live' | 'oracle';
  /** The oracle's threshold; unset: the lowest that keeps it within the false-alarm budget (calibrateOracle). */
  oracleThreshold?: number;
}

/** The false-alarm budget of the goals (docs/alerts.md): per key-week on average, and on the worst key. */
export const FALSE_ALARM_BUDGET = { perKeyWeek: 0.5, worstKeyWeek: 1 };

const MIN = 60_000;
const WEEK = 7 * 24 * 60 * MIN;

/**
 * Whether alert `a` detects labelled spike `l`: an alert on its key; for a topic spike also a market alert, and
 * for a market spike a topic alert (the same story). A ticker spike is detected only on its own ticker.
 */
export function detects(a: Pick<Alert, 'scope' | 'key'>, l: SpikeLabel): boolean {
  if (a.scope === l.scope && a.key === l.key) return true;
  if (l.scope === 'ticker' || a.scope === 'ticker') return false;
  return a.scope === 'market' || l.scope === 'market';
}

/**
 * Whether `a` is explained by `l` (not a false alarm) if it fired in the spike or its cooldown: it detects it,
 * or `l` is a ticker spike and `a` is on the topic its items carry or on the market (they are real negative
 * news there too). An alert on a ticker spike's partner, whose news is good, is explained by nothing.
 */
export function explains(a: Pick<Alert, 'scope' | 'key'>, l: SpikeLabel): boolean {
  return (
    detects(a, l) || (l.scope === 'ticker' && (a.scope === 'market' || (a.scope === 'topic' && a.key === l.topic)))
  );
}

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

interface Detector {
  observe(o: Observation, nowMs: number): void;
  advance(nowMs: number): Alert[];
}

type Routed = { atMs: number; observations: Observation[] };
/** Each item's observations with their signals partitions, worked out once per stream (calibration reruns it). */
const routedCache = new WeakMap<BacktestItem[], Map<number, Routed[]>>();

function routed(items: BacktestItem[], partitions: number): Routed[] {
  let byCount = routedCache.get(items);
  if (!byCount) routedCache.set(items, (byCount = new Map()));
  const cached = byCount.get(partitions);
  if (cached) return cached;
  const partitionOf = new Map<string, number>();
  const out = items.map((it) => ({
    atMs: it.publishedAtMs,
    observations: signalObservations(it).map(({ signalKey, observation }) => {
      let p = partitionOf.get(signalKey);
      if (p === undefined) partitionOf.set(signalKey, (p = signalsPartition(signalKey, partitions)));
      // Set in place: a spread per observation costs seconds over a month of items.
      return Object.assign(observation, { partition: p });
    }),
  }));
  byCount.set(partitions, out);
  return out;
}

/**
 * Runs the stream through one detector per signals partition on the simulated clock (ticking every `tickMs`, or
 * only at each item when null: the oracle fires on arrival and needs no clock); the alerts, in order.
 */
function simulate(stream: BacktestStream, make: () => Detector, tickMs: number | null, partitions: number): Alert[] {
  const detectors: Array<Detector | undefined> = [];
  const alerts: Alert[] = [];
  const tickAll = (now: number) => {
    for (const d of detectors) {
      const fired = d?.advance(now);
      if (fired && fired.length > 0) alerts.push(...fired);
    }
  };
  let tick = stream.startMs;
  for (const { atMs, observations } of routed(stream.items, partitions)) {
    if (tickMs === null) tickAll(atMs);
    else for (; tick <= atMs; tick += tickMs) tickAll(tick);
    for (const o of observations) (detectors[o.partition] ??= make()).observe(o, atMs);
  }
  if (tickMs === null) tickAll(stream.endMs + 10 * MIN);
  else for (const end = stream.endMs + 10 * MIN; tick <= end; tick += tickMs) tickAll(tick);
  return alerts.sort((a, b) => Date.parse(a.fired_at) - Date.parse(b.fired_at));
}

export function runBacktest(stream: BacktestStream, o: BacktestOptions = {}): BacktestReport {
  const config = o.config ?? DEFAULT_DETECTOR_CONFIG;
  const tickMs = o.tickMs ?? 1_000; // the worker advances the detector every second
  const partitions = o.partitions ?? 6;
  const detectWithinS = o.detectWithinS ?? 120;
  const detector = o.detector ?? 'live';
  let make: () => Detector = () => new SpikeDetector(config);
  let oracleThreshold: number | undefined;
  if (detector === 'oracle') {
    const truth = stream.truth;
    if (!truth) throw new Error('the oracle needs the true baselines of a generated stream');
    if (o.oracleThreshold === undefined) return calibrateOracle(stream, o);
    oracleThreshold = o.oracleThreshold;
    const oracle = {
      ...DEFAULT_ORACLE_CONFIG,
      threshold: oracleThreshold,
      cooldownMinutes: config.cooldownMinutes,
      groupMinutes: config.windowMinutes,
    };
    make = () => new OracleDetector(truth, oracle);
  }
  const alerts = simulate(stream, make, detector === 'oracle' ? null : tickMs, partitions);
  return score(stream, alerts, { detector, oracleThreshold, detectWithinS, cooldownMinutes: config.cooldownMinutes });
}

/**
 * The oracle at the lowest threshold (to 0.05) whose false alarms stay within FALSE_ALARM_BUDGET on this stream:
 * the most it can detect at the budget the live detector is held to. Bisection, as false alarms fall with the
 * threshold (not strictly, cooldowns interact; the answer is checked to be within budget).
 */
export function calibrateOracle(stream: BacktestStream, o: BacktestOptions = {}): BacktestReport {
  const at = (h: number) => runBacktest(stream, { ...o, detector: 'oracle', oracleThreshold: h });
  const within = (r: BacktestReport) =>
    r.summary.false_alarms_per_topic_week <= FALSE_ALARM_BUDGET.perKeyWeek &&
    r.summary.max_false_alarms_per_key_week <= FALSE_ALARM_BUDGET.worstKeyWeek;
  let lo = 2;
  let hi = 24;
  let best = at(hi);
  while (hi - lo > 0.05) {
    const mid = Math.round(((lo + hi) / 2) * 100) / 100;
    const r = at(mid);
    if (within(r)) [hi, best] = [mid, r];
    else lo = mid;
  }
  return best;
}

function score(
  stream: BacktestStream,
  alerts: Alert[],
  o: { detector: 'live' | 'oracle'; oracleThreshold?: number; detectWithinS: number; cooldownMinutes: number },
): BacktestReport {
  // Alerts whose key and time match a spike explain it; the rest are reprint alerts or false alarms.
  const matchWindow = o.cooldownMinutes * MIN;
  const inTime = (a: Alert, l: SpikeLabel, endMs: number) =>
    Date.parse(a.fired_at) >= l.onsetMs && Date.parse(a.fired_at) <= endMs;
  const explained = (a: Alert, l: SpikeLabel) => explains(a, l) && inTime(a, l, l.endMs + matchWindow);
  const spikeLabels = stream.labels.filter((l) => l.kind === 'spike');
  const spikes: SpikeResult[] = spikeLabels.map((label) => {
    const first = alerts.find((a) => detects(a, label) && inTime(a, label, label.endMs));
    return {
      label,
      delayS: first ? (Date.parse(first.fired_at) - label.onsetMs) / 1000 : null,
      alertId: first?.id ?? null,
    };
  });
  const unexplained = alerts.filter((a) => !spikeLabels.some((l) => explained(a, l)));
  const reprintAlerts = unexplained.filter((a) => stream.labels.some((l) => l.kind === 'reprint' && explained(a, l)));
  const falseAlarms = unexplained.filter((a) => !reprintAlerts.includes(a));

  const weeks = (stream.endMs - stream.startMs) / WEEK;
  const keysOf = keyCounts(stream.items);
  const keys = keysOf.market + keysOf.topic + keysOf.ticker;
  const perKey = new Map<string, number>();
  for (const a of falseAlarms) perKey.set(`${a.scope}:${a.key}`, (perKey.get(`${a.scope}:${a.key}`) ?? 0) + 1);
  const round = (x: number) => Math.round(x * 100) / 100;
  const tally = (rs: SpikeResult[]): Tally => ({
    spikes: rs.length,
    detected: rs.filter((s) => s.delayS !== null && s.delayS <= o.detectWithinS).length,
    median_delay_s: median(rs.flatMap((s) => (s.delayS === null ? [] : [s.delayS]))),
  });
  const by_sigma: BacktestReport['summary']['by_sigma'] = {};
  for (const sigma of [...new Set(spikes.map((s) => s.label.sigma))].sort((a, b) => a - b))
    by_sigma[String(sigma)] = tally(spikes.filter((s) => s.label.sigma === sigma));
  const by_scope: BacktestReport['summary']['by_scope'] = {};
  for (const scope of ['market', 'topic', 'ticker'] as const) {
    if (keysOf[scope] === 0) continue;
    by_scope[scope] = {
      ...tally(spikes.filter((s) => s.label.scope === scope)),
      keys: keysOf[scope],
      false_alarms: falseAlarms.filter((a) => a.scope === scope).length,
    };
  }
  const all = tally(spikes);
  return {
    spikes,
    alerts,
    falseAlarms,
    reprintAlerts,
    summary: {
      detector: o.detector,
      ...(o.oracleThreshold === undefined ? {} : { oracle_threshold: o.oracleThreshold }),
      spikes: all.spikes,
      detected: all.detected,
      median_delay_s: all.median_delay_s,
      false_alarms_per_topic_week: round(falseAlarms.length / Math.max(1, keys * weeks)),
      max_false_alarms_per_key_week: round(Math.max(0, ...perKey.values()) / Math.max(weeks, 1e-9)),
      reprint_alerts: reprintAlerts.length,
      alerts: alerts.length,
      weeks: round(weeks),
      keys,
      detect_within_s: o.detectWithinS,
      by_sigma,
      by_scope,
    },
  };
}

/** The keys a stream's items count towards: the market, each topic, each ticker. */
function keyCounts(items: BacktestItem[]): { market: number; topic: number; ticker: number } {
  const topics = new Set<string>();
  const tickers = new Set<string>();
  for (const i of items) {
    topics.add(i.topic);
    for (const t of i.tickers) tickers.add(t);
    for (const e of i.entities ?? []) tickers.add(e.ticker);
  }
  return { market: items.length > 0 ? 1 : 0, topic: topics.size, ticker: tickers.size };
}
