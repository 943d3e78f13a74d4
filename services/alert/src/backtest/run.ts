/**
 * Backtest runner (pure): feeds a labelled stream through a SpikeDetector in simulated time and
 * scores it. Simulated processing time is the items' event time (no ingest delay) with a clock
 * tick every `tickMs`, as the worker's timer does; delays are measured on that clock, so they
 * include the allowed lateness and minute bucketing, not just the statistics.
 */
import type { Alert } from '@finsent/shared';
import { SpikeDetector, type DetectorConfig, DEFAULT_DETECTOR_CONFIG } from '../detector.js';
import type { BacktestItem, SpikeLabel } from './stream-generator.js';

export interface SpikeResult {
  label: SpikeLabel;
  /** Seconds from onset to the first matching alert, or null if none fired while it lasted. */
  delayS: number | null;
  alertId: string | null;
}

export interface BacktestReport {
  spikes: SpikeResult[];
  alerts: Alert[];
  falseAlarms: Alert[];
  reprintAlerts: Alert[];
  summary: {
    spikes: number;
    /** Spikes alerted within `detectWithinS` of onset. */
    detected: number;
    median_delay_s: number | null;
    false_alarms_per_topic_week: number;
    max_false_alarms_per_key_week: number;
    reprint_alerts: number;
    alerts: number;
    weeks: number;
    keys: number;
    detect_within_s: number;
    by_sigma: Record<string, { spikes: number; detected: number; median_delay_s: number | null }>;
  };
}

const MIN = 60_000;
const WEEK = 7 * 24 * 60 * MIN;

/** Whether an alert on (scope,key) speaks for a labelled event: same key, or market ↔ its topics. */
const covers = (a: Alert, l: SpikeLabel) => (a.scope === l.scope && a.key === l.key) || a.scope === 'market' || l.scope === 'market';

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function runBacktest(
  stream: { items: BacktestItem[]; labels: SpikeLabel[]; startMs: number; endMs: number },
  o: { config?: DetectorConfig; tickMs?: number; partitions?: number; detectWithinS?: number } = {},
): BacktestReport {
  const config = o.config ?? DEFAULT_DETECTOR_CONFIG;
  const tickMs = o.tickMs ?? 1_000; // the worker advances the detector every second
  const partitions = o.partitions ?? 6;
  const detectWithinS = o.detectWithinS ?? 120;
  const d = new SpikeDetector(config);
  const alerts: Alert[] = [];
  let tick = stream.startMs;
  stream.items.forEach((it, i) => {
    for (; tick <= it.publishedAtMs; tick += tickMs) alerts.push(...d.advance(tick));
    d.observe({ ...it, market: true, pNegative: it.negative ? 0.9 : 0.1, partition: i % partitions }, it.publishedAtMs);
  });
  for (const end = stream.endMs + 10 * MIN; tick <= end; tick += tickMs) alerts.push(...d.advance(tick));

  // Alerts whose key and time match a spike explain it; the rest are reprint alerts or false alarms.
  const matchWindow = config.cooldownMinutes * MIN;
  const explains = (a: Alert, l: SpikeLabel) => covers(a, l) && Date.parse(a.fired_at) >= l.onsetMs && Date.parse(a.fired_at) <= l.endMs + matchWindow;
  const spikeLabels = stream.labels.filter((l) => l.kind === 'spike');
  const spikes: SpikeResult[] = spikeLabels.map((label) => {
    const first = alerts.find((a) => covers(a, label) && Date.parse(a.fired_at) >= label.onsetMs && Date.parse(a.fired_at) <= label.endMs);
    return { label, delayS: first ? (Date.parse(first.fired_at) - label.onsetMs) / 1000 : null, alertId: first?.id ?? null };
  });
  const unexplained = alerts.filter((a) => !spikeLabels.some((l) => explains(a, l)));
  const reprintAlerts = unexplained.filter((a) => stream.labels.some((l) => l.kind === 'reprint' && explains(a, l)));
  const falseAlarms = unexplained.filter((a) => !reprintAlerts.includes(a));

  const weeks = (stream.endMs - stream.startMs) / WEEK;
  const keys = new Set(stream.items.map((i) => `topic:${i.topic}`)).size + (config.scopes.includes('market') ? 1 : 0);
  const perKey = new Map<string, number>();
  for (const a of falseAlarms) perKey.set(`${a.scope}:${a.key}`, (perKey.get(`${a.scope}:${a.key}`) ?? 0) + 1);
  const round = (x: number) => Math.round(x * 100) / 100;
  const detectedIn = (rs: SpikeResult[]) => rs.filter((s) => s.delayS !== null && s.delayS <= detectWithinS).length;
  const delays = (rs: SpikeResult[]) => rs.flatMap((s) => (s.delayS === null ? [] : [s.delayS]));
  const by_sigma: BacktestReport['summary']['by_sigma'] = {};
  for (const sigma of [...new Set(spikes.map((s) => s.label.sigma))].sort((a, b) => a - b)) {
    const rs = spikes.filter((s) => s.label.sigma === sigma);
    by_sigma[String(sigma)] = { spikes: rs.length, detected: detectedIn(rs), median_delay_s: median(delays(rs)) };
  }
  return {
    spikes,
    alerts,
    falseAlarms,
    reprintAlerts,
    summary: {
      spikes: spikes.length,
      detected: detectedIn(spikes),
      median_delay_s: median(delays(spikes)),
      false_alarms_per_topic_week: round(falseAlarms.length / Math.max(1, keys * weeks)),
      max_false_alarms_per_key_week: round(Math.max(0, ...perKey.values()) / Math.max(weeks, 1e-9)),
      reprint_alerts: reprintAlerts.length,
      alerts: alerts.length,
      weeks: round(weeks),
      keys,
      detect_within_s: detectWithinS,
      by_sigma,
    },
  };
}
