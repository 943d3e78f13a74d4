/**
 * Seeded benchmark streams for the detector backtest (pure: same seed, same stream).
 *
 * Per topic: a Poisson item rate with a daily cycle (quiet nights, busy 13:00–21:00 UTC), a
 * baseline negative share that drifts slowly, and item-level Bernoulli noise. On top: reprint
 * bursts (many copies of one negative story, novelty ≈ 0: not news, must not alert) and injected
 * negative spikes on one topic or market-wide, each labelled with onset and end.
 *
 * Spike size k is in negative-share sigmas: the share rises by k·σ, σ = sqrt(p(1-p)/n) the
 * sampling sd of one minute's share at the key's baseline rate n per minute (capped at 0.95).
 * Spikes also double the key's volume (bad news adds stories) and start during busy hours, when
 * a one-minute share means something; a spike at 03:00 on 0.2 items/min cannot be seen in 2 minutes.
 */
export interface BacktestItem {
  id: string;
  title: string;
  url: string | null;
  publishedAtMs: number;
  negative: boolean;
  topic: string;
  tickers: string[];
  novelty: number;
}

export interface SpikeLabel {
  kind: 'spike' | 'reprint';
  scope: 'market' | 'topic';
  key: string;
  /** Size in σ (spikes only). */
  sigma: number;
  onsetMs: number;
  endMs: number;
}

export interface GeneratedStream {
  items: BacktestItem[];
  labels: SpikeLabel[];
  topics: string[];
  startMs: number;
  endMs: number;
}

export interface GeneratorOptions {
  weeks: number;
  seed: number;
  topics?: string[];
  /** Spikes per key per week (topics, and market-wide). */
  topicSpikesPerWeek?: number;
  marketSpikesPerWeek?: number;
  reprintBurstsPerTopicWeek?: number;
  sigmas?: number[];
}

export const DEFAULT_TOPICS = ['Earnings', 'Markets', 'Financials', 'Macro', 'Energy | Oil', 'Stock Movement', 'Fed | Central Banks', 'M&A | Investments'];
const MIN = 60_000;
const DAY = 24 * 60 * MIN;
/** A Monday, so weeks line up with calendar weeks. */
export const BACKTEST_START_MS = Date.UTC(2026, 0, 5);

/** mulberry32: small, fast, good enough for simulation, and reproducible everywhere. */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function poisson(r: () => number, lambda: number): number {
  // Knuth: fine for the small per-minute rates here.
  const l = Math.exp(-lambda);
  let k = 0;
  for (let p = r(); p > l; p *= r()) k++;
  return k;
}

/** Relative volume over the day: 0.1 at night, 1 at the 16:00 UTC peak. */
export function dailyCycle(ms: number): number {
  const hour = ((ms % DAY) + DAY) % DAY / (60 * MIN);
  return 0.1 + 0.9 * Math.max(0, Math.cos(((hour - 16) / 24) * 2 * Math.PI));
}

interface TopicModel {
  name: string;
  peakRate: number;
  share: number;
  driftPhase: number;
}

export function generateStream(o: GeneratorOptions): GeneratedStream {
  const r = mulberry32(o.seed);
  const topics = o.topics ?? DEFAULT_TOPICS;
  const sigmas = o.sigmas ?? [2, 3, 5];
  const startMs = BACKTEST_START_MS;
  const minutes = Math.round(o.weeks * 7 * 24 * 60);
  const endMs = startMs + minutes * MIN;
  const models: TopicModel[] = topics.map((name) => ({ name, peakRate: 3 + r() * 5, share: 0.15 + r() * 0.15, driftPhase: r() * 2 * Math.PI }));
  // Slow drift (±0.03 over a few days) plus hourly jitter: the baseline is not a constant.
  const hourJitter = new Map<string, number>();
  const baseShare = (t: TopicModel, ms: number) => {
    const hourKey = `${t.name}:${Math.floor(ms / (60 * MIN))}`;
    let j = hourJitter.get(hourKey);
    if (j === undefined) hourJitter.set(hourKey, (j = (r() - 0.5) * 0.04));
    return Math.min(0.9, Math.max(0.02, t.share + 0.03 * Math.sin(ms / (3 * DAY) + t.driftPhase) + j));
  };

  // Labels first, so the minute loop knows what is going on. Spikes start at busy hours, never overlap on a key.
  const labels: SpikeLabel[] = [];
  const busyOnset = () => {
    const day = Math.floor(r() * o.weeks * 7);
    return startMs + day * DAY + (13 * 60 + Math.floor(r() * 8 * 60)) * MIN + Math.floor(r() * 60) * 1000;
  };
  const overlaps = (onset: number, end: number, key: string) =>
    labels.some((l) => (l.key === key || l.scope === 'market' || key === '*') && onset < l.endMs + 3 * 60 * MIN && end + 3 * 60 * MIN > l.onsetMs);
  const place = (scope: 'market' | 'topic', key: string, count: number) => {
    for (let i = 0, tries = 0; i < count && tries < 1000; tries++) {
      const onset = busyOnset();
      const end = onset + (10 + Math.floor(r() * 11)) * MIN;
      if (end > endMs || overlaps(onset, end, key)) continue;
      labels.push({ kind: 'spike', scope, key, sigma: sigmas[i % sigmas.length]!, onsetMs: onset, endMs: end });
      i++;
    }
  };
  place('market', '*', Math.round((o.marketSpikesPerWeek ?? 3) * o.weeks));
  for (const t of topics) place('topic', t, Math.round((o.topicSpikesPerWeek ?? 3) * o.weeks));
  for (const t of topics) {
    for (let i = 0; i < Math.round((o.reprintBurstsPerTopicWeek ?? 3) * o.weeks); i++) {
      const onset = startMs + Math.floor(r() * (minutes - 30)) * MIN;
      labels.push({ kind: 'reprint', scope: 'topic', key: t, sigma: 0, onsetMs: onset, endMs: onset + (3 + Math.floor(r() * 8)) * MIN });
    }
  }
  labels.sort((a, b) => a.onsetMs - b.onsetMs);

  const items: BacktestItem[] = [];
  let n = 0;
  const push = (topic: string, ms: number, negative: boolean, novelty: number, title: string) => {
    n++;
    items.push({ id: `bt-${o.seed}-${n}`, title: `${title} #${n}`, url: `https://bench.example.com/${n}`, publishedAtMs: ms, negative, topic, tickers: [], novelty });
  };
  for (let m = 0; m < minutes; m++) {
    const t0 = startMs + m * MIN;
    const active = labels.filter((l) => l.kind === 'spike' && l.onsetMs < t0 + MIN && l.endMs > t0);
    const cycle = dailyCycle(t0);
    const marketRate = models.reduce((s, t) => s + t.peakRate * cycle, 0);
    const marketShare = models.reduce((s, t) => s + t.peakRate * baseShare(t, t0), 0) / models.reduce((s, t) => s + t.peakRate, 0);
    for (const t of models) {
      const rate = t.peakRate * cycle;
      const p0 = baseShare(t, t0);
      const count = poisson(r, rate);
      const spikeCount = poisson(r, rate); // the extra volume a spike brings, used only inside one
      for (let i = 0; i < count + spikeCount; i++) {
        const ms = t0 + Math.floor(r() * MIN);
        const spike = active.find((l) => (l.key === t.name || l.scope === 'market') && ms >= l.onsetMs && ms < l.endMs);
        if (i >= count && !spike) continue;
        let p = p0;
        if (spike?.scope === 'topic') p = p0 + spike.sigma * Math.sqrt((p0 * (1 - p0)) / rate);
        if (spike?.scope === 'market') p = p0 + spike.sigma * Math.sqrt((marketShare * (1 - marketShare)) / marketRate);
        const neg = r() < Math.min(0.95, p);
        push(t.name, ms, neg, 0.7 + r() * 0.3, spike ? 'spike story' : 'story');
      }
    }
  }
  // Reprint bursts: one negative story copied dozens of times by aggregators.
  for (const l of labels) {
    if (l.kind !== 'reprint') continue;
    const copies = 20 + Math.floor(r() * 41);
    for (let i = 0; i < copies; i++) push(l.key, l.onsetMs + Math.floor(r() * (l.endMs - l.onsetMs)), true, r() * 0.05, 'reprint');
  }
  items.sort((a, b) => a.publishedAtMs - b.publishedAtMs);
  return { items, labels, topics, startMs, endMs };
}
