/**
 * Seeded benchmark streams for the detector backtest (pure: same seed, same stream).
 *
 * Per topic: a Poisson item rate with a daily cycle (quiet nights, busy 13:00–21:00 UTC), a
 * baseline negative share that drifts slowly, and item-level Bernoulli noise. On top: reprint
 * bursts (many copies of one negative story, novelty ≈ 0: not news, must not alert) and injected
 * negative spikes on one topic or market-wide, each labelled with onset and end.
 *
 * Companies: one ticker per topic, named by a share of its topic's ordinary items, alone or beside another
 * company with opposite news (one negative, the other positive, as entity sentiments). Ticker spikes are built
 * from such two-company items ("Acme beats estimates as Beta plunges"): a ticker alert on the partner, whose
 * news is good, is a false alarm.
 *
 * Spike size k is in negative-share sigmas: the share rises by k·σ, σ = sqrt(p(1-p)/n) the
 * sampling sd of one minute's share at the key's baseline rate n per minute (capped at 0.95).
 * Spikes also double the key's volume (bad news adds stories) and start during busy hours, when
 * a one-minute share means something; a spike at 03:00 on 0.2 items/min cannot be seen in 2 minutes.
 *
 * The stream carries the generator's truth (`truth`: each key's baseline rate and share at any time), which only
 * the backtest's oracle is told.
 */
export interface BacktestItem {
  id: string;
  title: string;
  url: string | null;
  publishedAtMs: number;
  /** The whole item's sentiment (what the market and topic keys are judged on). */
  negative: boolean;
  topic: string;
  tickers: string[];
  /**
   * The companies the item names, each with its own (entity) sentiment, as the classifier scores them (item
   * schema v2): "Acme beats estimates as Beta plunges" is negative for BETA and positive for ACME, whatever the
   * whole item reads as. A ticker key is judged on these (signals.ts, fanOut). Absent: none.
   */
  entities?: Array<{ ticker: string; negative: boolean }>;
  novelty: number;
}

export interface SpikeLabel {
  kind: 'spike' | 'reprint';
  scope: 'market' | 'topic' | 'ticker';
  key: string;
  /** Size in σ (spikes only). */
  sigma: number;
  onsetMs: number;
  endMs: number;
  /**
   * Ticker spikes only: the company named beside the spiking one in its two-company items, whose news is GOOD
   * (an alert on it is a false alarm), and the topic those items carry (an alert on it, or the market, during
   * the spike is explained by it: its items are real negative news there too).
   */
  partner?: string;
  topic?: string;
}

/** A key's true pre-change parameters at a time: items per minute and the negative share among them. */
export interface KeyBaseline {
  rate: number;
  share: number;
}

/**
 * The generator's own truth, which no detector sees: the baseline of a key (market '*', a topic, a ticker) at an
 * event time, without spikes or reprints. The backtest's oracle is told it (finsent backtest --oracle).
 */
export type StreamTruth = (scope: 'market' | 'topic' | 'ticker', key: string, ms: number) => KeyBaseline | null;

export interface GeneratedStream {
  items: BacktestItem[];
  labels: SpikeLabel[];
  topics: string[];
  tickers: string[];
  startMs: number;
  endMs: number;
  truth: StreamTruth;
}

export interface GeneratorOptions {
  weeks: number;
  seed: number;
  topics?: string[];
  /** One company per topic (its home topic: tickers[i] belongs to topics[i % topics.length]). */
  tickers?: string[];
  /** Spikes per key per week (topics, and market-wide). */
  topicSpikesPerWeek?: number;
  marketSpikesPerWeek?: number;
  tickerSpikesPerWeek?: number;
  reprintBurstsPerTopicWeek?: number;
  sigmas?: number[];
}

export const DEFAULT_TOPICS = [
  'Earnings',
  'Markets',
  'Financials',
  'Macro',
  'Energy | Oil',
  'Stock Movement',
  'Fed | Central Banks',
  'M&A | Investments',
];
export const DEFAULT_TICKERS = ['ACME', 'BETA', 'CYRX', 'DLTA', 'ECHO', 'FOXL', 'GRNT', 'HELX'];
/** Share of a topic's ordinary items naming its company alone, and naming it beside another (opposite news). */
export const SINGLE_MENTION_P = 0.3;
export const PAIR_MENTION_P = 0.1;
/** A ticker spike's share is capped here, and its volume rises by at most this factor (bad news brings stories). */
const TICKER_SPIKE_MAX_SHARE = 0.9;
const TICKER_SPIKE_MAX_EXTRA = 4;
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
  const hour = (((ms % DAY) + DAY) % DAY) / (60 * MIN);
  return 0.1 + 0.9 * Math.max(0, Math.cos(((hour - 16) / 24) * 2 * Math.PI));
}

interface TopicModel {
  name: string;
  peakRate: number;
  share: number;
  driftPhase: number;
}

/**
 * How a ticker spike of k σ is built from two-company items, for a ticker at n mentions a minute with negative
 * share q: the target share p = min(0.9, q + kσ), σ = sqrt(q(1-q)/n); its ordinary mentions go on at q and
 * two-company items come on top at `extraRate` (between 1× and 4× n: bad news brings stories), the ticker
 * negative in a fraction `pNeg` of them (its partner positive), so that the whole is at `share` (= p unless
 * the volume cap leaves it short).
 */
export function tickerSpikeMix(q: number, n: number, k: number): { extraRate: number; pNeg: number; share: number } {
  const p = Math.min(TICKER_SPIKE_MAX_SHARE, q + k * Math.sqrt((q * (1 - q)) / Math.max(n, 1e-9)));
  const m = Math.min(TICKER_SPIKE_MAX_EXTRA, Math.max(1, (p - q) / (1 - p)));
  const pNeg = Math.min(1, ((1 + m) * p - q) / m);
  return { extraRate: m * n, pNeg, share: (q + m * pNeg) / (1 + m) };
}

export function generateStream(o: GeneratorOptions): GeneratedStream {
  const r = mulberry32(o.seed);
  // Companies draw from their own generator, so the topic and market stream of a seed is the one it was before
  // companies existed (the figures of docs/alerts.md stay comparable).
  const rc = mulberry32(o.seed ^ 0x5eed71c);
  const topics = o.topics ?? DEFAULT_TOPICS;
  const tickers = o.tickers ?? DEFAULT_TICKERS.slice(0, topics.length);
  const homeOf = new Map(tickers.map((t, i) => [t, topics[i % topics.length]!]));
  const sigmas = o.sigmas ?? [2, 3, 5];
  const startMs = BACKTEST_START_MS;
  const minutes = Math.round(o.weeks * 7 * 24 * 60);
  const endMs = startMs + minutes * MIN;
  const models: TopicModel[] = topics.map((name) => ({
    name,
    peakRate: 3 + r() * 5,
    share: 0.15 + r() * 0.15,
    driftPhase: r() * 2 * Math.PI,
  }));
  // Slow drift (±0.03 over a few days) plus hourly jitter: the baseline is not a constant.
  const hourJitter = new Map<string, number>();
  const shareAt = (t: TopicModel, ms: number, j: number) =>
    Math.min(0.9, Math.max(0.02, t.share + 0.03 * Math.sin(ms / (3 * DAY) + t.driftPhase) + j));
  const baseShare = (t: TopicModel, ms: number) => {
    const hourKey = `${t.name}:${Math.floor(ms / (60 * MIN))}`;
    let j = hourJitter.get(hourKey);
    if (j === undefined) hourJitter.set(hourKey, (j = (r() - 0.5) * 0.04));
    return shareAt(t, ms, j);
  };
  // The truth reads the jitter drawn while generating and never draws (it would change nothing, but it is pure).
  const trueShare = (t: TopicModel, ms: number) =>
    shareAt(t, ms, hourJitter.get(`${t.name}:${Math.floor(ms / (60 * MIN))}`) ?? 0);
  const truth = streamTruth(models, tickers, homeOf, trueShare);

  // Labels first, so the minute loop knows what is going on. Spikes start at busy hours, never overlap on a key.
  const labels: SpikeLabel[] = [];
  const busyOnset = (g: () => number) => {
    const day = Math.floor(g() * o.weeks * 7);
    return startMs + day * DAY + (13 * 60 + Math.floor(g() * 8 * 60)) * MIN + Math.floor(g() * 60) * 1000;
  };
  const overlaps = (onset: number, end: number, key: string) =>
    labels.some(
      (l) =>
        l.scope !== 'ticker' &&
        (l.key === key || l.scope === 'market' || key === '*') &&
        onset < l.endMs + 3 * 60 * MIN &&
        end + 3 * 60 * MIN > l.onsetMs,
    );
  const place = (scope: 'market' | 'topic', key: string, count: number) => {
    for (let i = 0, tries = 0; i < count && tries < 1000; tries++) {
      const onset = busyOnset(r);
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
      labels.push({
        kind: 'reprint',
        scope: 'topic',
        key: t,
        sigma: 0,
        onsetMs: onset,
        endMs: onset + (3 + Math.floor(r() * 8)) * MIN,
      });
    }
  }
  // Ticker spikes: "Acme beats estimates as Beta plunges" and the like, on a ticker and a partner whose news is
  // good; clear of any other spike on either company, their topics and the market, so each alert has one story.
  const tickerBusy = (onset: number, end: number, names: string[]) =>
    labels.some((l) => {
      const near = onset < l.endMs + 3 * 60 * MIN && end + 3 * 60 * MIN > l.onsetMs;
      const involved =
        l.scope === 'market' ||
        names.includes(l.key) ||
        (l.partner !== undefined && names.includes(l.partner)) ||
        names.some((n) => homeOf.get(n) === l.key);
      return l.kind === 'spike' && near && involved;
    });
  for (const ticker of tickers) {
    if (tickers.length < 2) break;
    for (let i = 0, tries = 0; i < Math.round((o.tickerSpikesPerWeek ?? 1) * o.weeks) && tries < 1000; tries++) {
      const onset = busyOnset(rc);
      const end = onset + (10 + Math.floor(rc() * 11)) * MIN;
      const others = tickers.filter((t) => t !== ticker);
      const partner = others[Math.floor(rc() * others.length)]!;
      if (end > endMs || tickerBusy(onset, end, [ticker, partner])) continue;
      labels.push({
        kind: 'spike',
        scope: 'ticker',
        key: ticker,
        sigma: sigmas[i % sigmas.length]!,
        onsetMs: onset,
        endMs: end,
        partner,
        topic: homeOf.get(ticker)!,
      });
      i++;
    }
  }
  labels.sort((a, b) => a.onsetMs - b.onsetMs);

  const items: BacktestItem[] = [];
  let n = 0;
  const push = (
    topic: string,
    ms: number,
    negative: boolean,
    novelty: number,
    title: string,
    entities?: BacktestItem['entities'],
  ) => {
    n++;
    const item: BacktestItem = {
      id: `bt-${o.seed}-${n}`,
      title: `${title} #${n}`,
      url: `https://bench.example.com/${n}`,
      publishedAtMs: ms,
      negative,
      topic,
      tickers: entities?.map((e) => e.ticker) ?? [],
      novelty,
    };
    if (entities) item.entities = entities;
    items.push(item);
  };
  const companyOf = new Map(topics.map((t) => [t, tickers.filter((x) => homeOf.get(x) === t)]));
  /** An ordinary item's companies: none, its topic's alone (the item's sentiment), or beside another (opposite). */
  const mentions = (topic: string, negative: boolean): BacktestItem['entities'] => {
    const home = companyOf.get(topic) ?? [];
    if (home.length === 0) return undefined;
    const x = rc();
    const own = home[Math.floor(rc() * home.length)]!;
    if (x < SINGLE_MENTION_P) return [{ ticker: own, negative }];
    if (x >= SINGLE_MENTION_P + PAIR_MENTION_P || tickers.length < 2) return undefined;
    const others = tickers.filter((t) => t !== own);
    return [
      { ticker: own, negative },
      { ticker: others[Math.floor(rc() * others.length)]!, negative: !negative },
    ];
  };
  for (let m = 0; m < minutes; m++) {
    const t0 = startMs + m * MIN;
    const active = labels.filter((l) => l.kind === 'spike' && l.onsetMs < t0 + MIN && l.endMs > t0);
    const cycle = dailyCycle(t0);
    const marketRate = models.reduce((s, t) => s + t.peakRate * cycle, 0);
    const marketShare =
      models.reduce((s, t) => s + t.peakRate * baseShare(t, t0), 0) / models.reduce((s, t) => s + t.peakRate, 0);
    for (const t of models) {
      const rate = t.peakRate * cycle;
      const p0 = baseShare(t, t0);
      const count = poisson(r, rate);
      const spikeCount = poisson(r, rate); // the extra volume a spike brings, used only inside one
      for (let i = 0; i < count + spikeCount; i++) {
        const ms = t0 + Math.floor(r() * MIN);
        const spike = active.find(
          (l) => l.scope !== 'ticker' && (l.key === t.name || l.scope === 'market') && ms >= l.onsetMs && ms < l.endMs,
        );
        if (i >= count && !spike) continue;
        let p = p0;
        if (spike?.scope === 'topic') p = p0 + spike.sigma * Math.sqrt((p0 * (1 - p0)) / rate);
        if (spike?.scope === 'market') p = p0 + spike.sigma * Math.sqrt((marketShare * (1 - marketShare)) / marketRate);
        const neg = r() < Math.min(0.95, p);
        // Topic and market spikes are sector and macro news: their items name no company.
        push(
          t.name,
          ms,
          neg,
          0.7 + r() * 0.3,
          spike ? 'spike story' : 'story',
          spike ? undefined : mentions(t.name, neg),
        );
      }
    }
    for (const l of active) {
      if (l.scope !== 'ticker') continue;
      const base = truth('ticker', l.key, t0)!;
      const mix = tickerSpikeMix(base.share, base.rate, l.sigma);
      const extra = poisson(rc, mix.extraRate);
      for (let i = 0; i < extra; i++) {
        const ms = t0 + Math.floor(rc() * MIN);
        if (ms < l.onsetMs || ms >= l.endMs) continue;
        const bad = rc() < mix.pNeg;
        // The whole item reads either way ("Acme beats estimates as Beta plunges"): a ticker judged on it would
        // see the partner's good news as bad half the time.
        push(l.topic!, ms, rc() < 0.5, 0.7 + rc() * 0.3, 'two-company story', [
          { ticker: l.key, negative: bad },
          { ticker: l.partner!, negative: !bad },
        ]);
      }
    }
  }
  // Reprint bursts: one negative story copied dozens of times by aggregators.
  for (const l of labels) {
    if (l.kind !== 'reprint') continue;
    const copies = 20 + Math.floor(r() * 41);
    for (let i = 0; i < copies; i++)
      push(l.key, l.onsetMs + Math.floor(r() * (l.endMs - l.onsetMs)), true, r() * 0.05, 'reprint');
  }
  items.sort((a, b) => a.publishedAtMs - b.publishedAtMs);
  return { items, labels, topics, tickers, startMs, endMs, truth };
}

/**
 * The baselines the generator draws from (spikes and reprints aside): a topic's Poisson rate and share; the
 * market's, summed over topics; a ticker's mentions, from its home topic's ordinary items (alone or first of
 * two, at the topic's share) and as the partner of other companies' two-company items (at the opposite share).
 */
function streamTruth(
  models: TopicModel[],
  tickers: string[],
  homeOf: Map<string, string>,
  shareOf: (t: TopicModel, ms: number) => number,
): StreamTruth {
  const byName = new Map(models.map((m) => [m.name, m]));
  const perTopic = new Map(models.map((m) => [m.name, tickers.filter((t) => homeOf.get(t) === m.name).length]));
  return (scope, key, ms) => {
    const cycle = dailyCycle(ms);
    if (scope === 'topic') {
      const t = byName.get(key);
      return t ? { rate: t.peakRate * cycle, share: shareOf(t, ms) } : null;
    }
    if (scope === 'market') {
      const rate = models.reduce((s, t) => s + t.peakRate * cycle, 0);
      return { rate, share: models.reduce((s, t) => s + t.peakRate * cycle * shareOf(t, ms), 0) / rate };
    }
    const home = byName.get(homeOf.get(key) ?? '');
    if (!home) return null;
    let rate = (home.peakRate * cycle * (SINGLE_MENTION_P + PAIR_MENTION_P)) / perTopic.get(home.name)!;
    let negative = rate * shareOf(home, ms);
    for (const other of tickers) {
      if (other === key) continue;
      const t = byName.get(homeOf.get(other)!)!;
      const asPartner = (t.peakRate * cycle * PAIR_MENTION_P) / perTopic.get(t.name)! / (tickers.length - 1);
      rate += asPartner;
      negative += asPartner * (1 - shareOf(t, ms));
    }
    return { rate, share: negative / rate };
  };
}
