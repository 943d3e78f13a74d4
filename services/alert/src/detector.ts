/**
 * Negative-spike detection on event time (pure: no I/O, no wall clock except what it is given).
 *
 * Items are counted per minute of `published_at` for several keys at once: the whole market,
 * each topic and each ticker. A minute is evaluated once the watermark has passed it; the
 * watermark is the minimum over active partitions of the newest event time seen there, minus an
 * allowed lateness (Kafka keeps order only within a partition). When the stream goes quiet, an
 * idle flush closes everything seen so far.
 *
 * For each closed minute, the trailing window of `windowMinutes` (and a shorter one of
 * `shortWindowMinutes`, for a faster first alert on a large spike) is compared with the key's
 * baseline, an EWMA of the negative share and its variance learnt from earlier windows:
 *   z = (share - baseline) / sqrt(baselineVariance + baseline * (1 - baseline) / n)
 * The second term is the sampling noise of a share over n items, so small windows need a
 * larger jump (the count gets a continuity correction of half an item for the same reason). A key fires when n >= minCount, z >= zThreshold and the share is at least
 * minLift above baseline; it then stays quiet until z falls below rearmZ (hysteresis) and the
 * cooldown has passed. Counts are weighted by novelty so reprints count for less.
 *
 * Alongside the windows, each key runs a Bernoulli CUSUM on its items as they arrive (see
 * cusumStep): it adapts to the onset of a spike instead of waiting for minutes to fill, which is
 * what detection within two minutes on a low-volume key needs; and a share-and-volume CUSUM (see
 * rateCusumStep) that also weighs how fast the stories come.
 *
 * For a window after the market key fires (until it re-arms), its topics' alerts are suppressed:
 * they are its children, part of the same story.
 */
import { createHash } from 'node:crypto';
import { SCHEMA_VERSION, type Alert } from '@finsent/shared';
import { binomialUpperTail, normalUpperTail } from './stats.js';

export interface DetectorConfig {
  windowMinutes: number;
  /** A second, shorter trailing window checked alongside (0: off), for a fast first alert. */
  shortWindowMinutes: number;
  /**
   * Extra z required to fire on the minute still filling up (the "early look", re-checked as
   * items arrive). It is tested many times before the minute closes, so it must clear a higher
   * bar; < 0 disables the early look.
   */
  earlyExtraZ: number;
  minCount: number;
  zThreshold: number;
  criticalZ: number;
  rearmZ: number;
  minLift: number;
  /** EWMA weight of one item in the baseline (0.01: roughly the last 100 items dominate). */
  baselineAlpha: number;
  priorShare: number;
  priorVariance: number;
  /** The baseline does not learn while any window's z is at or above this. */
  freezeZ: number;
  /** How many items the prior is worth while the baseline is young. */
  priorWeight: number;
  /**
   * Items a key's baseline must have learnt from before it can fire: without it, a key whose
   * normal share is far from the prior (a gloomy topic) fires on its first busy minutes.
   */
  warmupItems: number;
  /** Floor of the baseline variance, so a long calm stretch cannot make the detector hair-triggered. */
  minVariance: number;
  cooldownMinutes: number;
  /**
   * CUSUM decision threshold (log-likelihood units; 0: off). Alongside the windows, each key runs
   * a Bernoulli CUSUM over its items as they arrive: the quickest test for a shift of the negative
   * share from the baseline to baseline + cusumShiftSigma per-minute sds, with no minute bucketing.
   */
  cusumThreshold: number;
  /** The shift the CUSUM is tuned to, in sds of one minute's share at the key's usual volume. */
  cusumShiftSigma: number;
  /** z the items since the CUSUM's estimated onset must reach (with the other window bars) for it to fire. */
  cusumMinZ: number;
  /**
   * Decision threshold of the share-and-volume CUSUM (log-likelihood units; 0: off). Each key also runs a
   * marked Poisson CUSUM on its items' arrivals and sentiment together: a burst of stories, mostly negative, is
   * evidence even while the share alone, over few items, is not yet conclusive.
   */
  rateCusumThreshold: number;
  /** z of the negative share the items since its onset must also reach: more negative news, not just more news. */
  rateCusumShareZ: number;
  latenessMs: number;
  partitionIdleMs: number;
  idleFlushMs: number;
  scopes: Array<'market' | 'topic' | 'ticker'>;
}

export const DEFAULT_DETECTOR_CONFIG: DetectorConfig = {
  windowMinutes: 5,
  shortWindowMinutes: 2,
  earlyExtraZ: 1,
  minCount: 4,
  zThreshold: 3.5,
  criticalZ: 5,
  rearmZ: 1,
  minLift: 0.15,
  baselineAlpha: 0.01,
  priorShare: 0.25,
  priorVariance: 0.005,
  priorWeight: 10,
  freezeZ: 2,
  warmupItems: 30,
  minVariance: 0.002,
  cooldownMinutes: 30,
  cusumThreshold: 9,
  cusumShiftSigma: 3,
  cusumMinZ: 3.5,
  rateCusumThreshold: 10,
  rateCusumShareZ: 2.5,
  latenessMs: 5_000,
  partitionIdleMs: 5_000,
  idleFlushMs: 10_000,
  scopes: ['market', 'topic', 'ticker'],
};

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

interface Bucket {
  total: number;
  negative: number;
  headlines: Array<{ id: string; title: string; url: string | null; p: number }>;
}

interface KeyState {
  scope: Alert['scope'];
  key: string;
  buckets: Map<number, Bucket>;
  mean: number;
  variance: number;
  /** Items the baseline has learnt from; a key fires only once it reaches warmupItems. */
  learned: number;
  armed: boolean;
  lastFiredMinute: number;
  /** CUSUM statistic (log-likelihood ratio, >= 0). */
  cusum: number;
  /** Weighted items and negatives since the CUSUM last left 0: the run since the estimated onset. */
  run: { total: number; negative: number; headlines: Bucket['headlines']; fromMinute: number | null };
  /** EWMA of items per minute with data, for the CUSUM's design shift. */
  volume: number;
  /** Items per minute over time, quiet minutes included (the negative-volume CUSUM's baseline): Holt level and trend per minute. */
  rate: number;
  rateTrend: number;
  /** The last minute `rate` has accounted for (null: none yet). */
  rateMinute: number | null;
  /** Negative-volume CUSUM statistic (>= 0), the event time it was last brought up to, and its run since onset. */
  rateCusum: number;
  rateCusumAtMs: number;
  rateRun: KeyState['run'];
}

const MINUTE = 60_000;
/** EWMA weight of one minute in a key's item rate: about the last 20 minutes, which follows the daily cycle. */
const RATE_ALPHA = 0.05;
/** Holt trend weight: the rate ramps up every morning, and a level that lags the ramp underestimates it. */
const RATE_TREND_BETA = 0.02;
/**
 * The rise of the volume the share-and-volume CUSUM is tuned to: bad news brings stories. Measured (docs/alerts.md)
 * against a rise of k Poisson sds (1 + k/√λ0: 2–4): as many spikes caught, more false alarms on quiet keys, where
 * that design asks for a five-fold rise and a few items close together look like one.
 */
export const RATE_CUSUM_VOLUME_RATIO = 2;

/**
 * The share-and-volume CUSUM's increments for a key at `rate` items a minute and baseline share `mean`: the drain
 * per minute between items, and what a negative and another item add (log-likelihood ratios of a marked Poisson
 * process, the change being RATE_CUSUM_VOLUME_RATIO× the volume and the share CUSUM's shift of the share).
 */
export function volumeCusumLlr(rate: number, mean: number, c: Pick<DetectorConfig, 'minLift' | 'cusumShiftSigma'>) {
  const lambda0 = Math.max(0.05, rate);
  const p0 = Math.min(0.99, Math.max(0.01, mean));
  const p1 = Math.min(0.99, p0 + Math.max(c.minLift, c.cusumShiftSigma * Math.sqrt((p0 * (1 - p0)) / Math.max(1, lambda0))));
  const volume = Math.log(RATE_CUSUM_VOLUME_RATIO);
  return { drainPerMinute: (RATE_CUSUM_VOLUME_RATIO - 1) * lambda0, negative: volume + Math.log(p1 / p0), other: volume + Math.log((1 - p1) / (1 - p0)) };
}

/** Adds a negative item's headline to `list`, keeping the five most negative. */
function keepTopHeadline(list: Bucket['headlines'], o: Observation): void {
  list.push({ id: o.id, title: o.title, url: o.url, p: o.pNegative });
  list.sort((x, y) => y.p - x.p);
  list.length = Math.min(list.length, 5);
}

const emptyRun = (): KeyState['run'] => ({ total: 0, negative: 0, headlines: [], fromMinute: null });

/** Adds one item to a CUSUM's run since its estimated onset. */
function extendRun(run: KeyState['run'], o: Observation, weight: number, minute: number): void {
  run.fromMinute ??= minute;
  run.total += weight;
  if (o.negative) {
    run.negative += weight;
    keepTopHeadline(run.headlines, o);
  }
}

/** What survives a restart for one key: its baseline, alert state and the minutes still in its window. */
export interface KeySnapshot {
  scope: Alert['scope'];
  key: string;
  mean: number;
  variance: number;
  /** Missing in snapshots from before warm-up existed: treated as warmed up. */
  learned?: number;
  armed: boolean;
  /** null: never fired (JSON has no -Infinity). */
  lastFiredMinute: number | null;
  buckets: Array<[number, Bucket]>;
  cusum?: number;
  run?: KeyState['run'];
  volume?: number;
  rate?: number;
  rateTrend?: number;
  rateMinute?: number | null;
  rateCusum?: number;
  rateCusumAtMs?: number;
  rateRun?: KeyState['run'];
}

export interface DetectorSnapshot {
  /** Last evaluated minute (null: none yet); a restored detector never evaluates it again. */
  closedMinute: number | null;
  keys: KeySnapshot[];
}

export function alertId(scope: string, key: string, windowEndMs: number): string {
  return createHash('sha256').update(`${scope}\u0000${key}\u0000${windowEndMs}`).digest('hex').slice(0, 32);
}

export class SpikeDetector {
  private readonly keys = new Map<string, KeyState>();
  private readonly partitionHigh = new Map<number, { eventMs: number; seenAt: number }>();
  private closedMinute = -Infinity;
  private maxEventMs = -Infinity;
  private lastObservedAt = 0;
  /** When items started flowing again after the whole stream was quiet (see watermarkMs). */
  private resumedAt = 0;
  /** The watermark at the moment the stream resumed, kept for partitionIdleMs after it. */
  private heldWatermark = -Infinity;
  /** Items arrived since the last early look. */
  private dirty = false;
  /** Fired by the CUSUM as items arrived; handed out by the next advance(). */
  private firedOnArrival: Alert[] = [];
  lateItems = 0;
  /** Items dated ahead of the clock by more than the allowed lateness (a bad clock, or a crafted date). */
  futureItems = 0;

  constructor(readonly config: DetectorConfig = DEFAULT_DETECTOR_CONFIG) {}

  observe(dated: Observation, nowMs: number): void {
    // Event time is bounded by processing time: nothing has happened yet in the future. An item dated ahead
    // (a pusher's bad clock, or a crafted 2099) counts in the minute it arrived in and nowhere else: it never
    // moves the watermark (it would close minutes still running, or, in a backfill, every minute between the
    // stream and now), and it feeds no CUSUM (five of them fired a market alert on their own). A few seconds
    // ahead (clock skew within the allowed lateness) is trusted as now.
    const suspect = dated.publishedAtMs > nowMs + this.config.latenessMs;
    if (suspect) this.futureItems++;
    const o = dated.publishedAtMs > nowMs ? { ...dated, publishedAtMs: nowMs } : dated;
    this.dirty = true;
    // Suspect items count neither as the stream flowing (a trickle of them would keep the idle flush from ever
    // closing the last real minute) nor for their partition (one carrying only them neither holds the watermark
    // back nor moves it).
    if (!suspect) {
      if (nowMs - this.lastObservedAt >= this.config.partitionIdleMs) {
        // The stream resumes (or starts): hold the watermark where it was for a grace period, so that
        // partitions whose backlog arrives a few fetches later, even ones never seen yet, still count.
        // (Never below the hold already in force, and computed without it: a sparse stream, one item
        // every few seconds, resumes at every item and would otherwise hold the watermark forever.)
        this.heldWatermark = Math.max(this.heldWatermark, this.flowingWatermarkMs(this.lastObservedAt));
        this.resumedAt = nowMs;
      }
      this.lastObservedAt = nowMs;
      const high = this.partitionHigh.get(o.partition);
      if (!high || o.publishedAtMs > high.eventMs) this.partitionHigh.set(o.partition, { eventMs: o.publishedAtMs, seenAt: nowMs });
      else high.seenAt = nowMs;
      this.maxEventMs = Math.max(this.maxEventMs, o.publishedAtMs);
    }
    const minute = Math.floor(o.publishedAtMs / MINUTE);
    if (minute <= this.closedMinute) this.lateItems++;
    const weight = Math.min(1, Math.max(0, o.novelty));
    for (const [scope, key] of this.keysOf(o)) {
      const state = this.state(scope, key);
      let b = state.buckets.get(minute);
      if (!b) state.buckets.set(minute, (b = { total: 0, negative: 0, headlines: [] }));
      b.total += weight;
      if (o.negative) {
        b.negative += weight;
        keepTopHeadline(b.headlines, o);
      }
      if (minute > this.closedMinute && !this.canFire(state, minute)) {
        // In alert or cooling down: what arrives now is the known story, not evidence of a new one.
        // The CUSUMs stay at 0 rather than carry this spike into the moment the key can fire again.
        state.cusum = 0;
        state.run = emptyRun();
        state.rateCusum = 0;
        state.rateRun = emptyRun();
      } else if (minute > this.closedMinute && !suspect) {
        const a = this.cusumStep(state, o, weight, minute, nowMs) ?? this.rateCusumStep(state, o, weight, minute, nowMs);
        if (a && !(scope === 'topic' && this.marketInAlert(minute))) this.firedOnArrival.push(a);
      }
    }
  }

  /**
   * One item into the key's Bernoulli CUSUM (Page's test): S = max(0, S + w * llr), where llr is
   * the log-likelihood ratio of the item under the shifted share p1 against the baseline p0. It
   * fires when S reaches cusumThreshold, under the same guards as the windows (warm-up, armed,
   * cooldown) and once the run since the estimated onset clears the same bars as a window.
   */
  private cusumStep(state: KeyState, o: Observation, weight: number, minute: number, nowMs: number): Alert | null {
    const c = this.config;
    // A reprint (novelty well under 1) is the same story again, not fresh evidence: dozens of
    // near-weightless copies would otherwise add up in a statistic that never forgets.
    if (c.cusumThreshold <= 0 || state.learned < c.warmupItems || weight < 0.5) return null;
    const p0 = Math.min(0.99, Math.max(0.01, state.mean));
    const sigma1 = Math.sqrt((p0 * (1 - p0)) / Math.max(1, state.volume));
    const p1 = Math.min(0.99, p0 + Math.max(c.minLift, c.cusumShiftSigma * sigma1));
    const llr = o.negative ? Math.log(p1 / p0) : Math.log((1 - p1) / (1 - p0));
    state.cusum = Math.max(0, state.cusum + weight * llr);
    if (state.cusum === 0) {
      state.run = emptyRun();
      return null;
    }
    extendRun(state.run, o, weight, minute);
    if (state.cusum < c.cusumThreshold) return null;
    // The run since the CUSUM left 0 estimates the spike since its onset, undiluted by the calm
    // before it: it must clear the same bars as a window.
    const w = this.runStats(state, state.run, minute);
    if (!this.clearsBars(state, w, c.cusumMinZ)) return null;
    return this.fireAlert(state, minute, w, nowMs);
  }

  /**
   * One item into the key's share-and-volume CUSUM: Page's test on the likelihood ratio of a marked Poisson
   * process (volumeCusumLlr). Before a change, items come at the key's usual rate λ0 with its baseline share p0;
   * after it, at RATE_CUSUM_VOLUME_RATIO·λ0 with the share shifted as the share CUSUM's (p1). Between items the
   * statistic drains by (ratio − 1)·λ0 per minute of event time; each item adds log(ratio) plus its share term.
   * It uses what the share test ignores, how fast the stories come, and weighs it against their sentiment, as the
   * oracle of the backtest does with the true λ0 and p0. It fires under the same guards as the share CUSUM, once
   * the run since its onset shows a raised share (rateCusumShareZ): more news at the usual share is not bad news.
   */
  private rateCusumStep(state: KeyState, o: Observation, weight: number, minute: number, nowMs: number): Alert | null {
    const c = this.config;
    if (c.rateCusumThreshold <= 0 || state.learned < c.warmupItems || state.rateMinute === null) return null;
    // The rate is learnt from the minute leaving the window: project its trend to now.
    const rateNow = Math.max(state.rate * 0.5, state.rate + state.rateTrend * (c.windowMinutes + 0.5));
    const llr = volumeCusumLlr(rateNow, state.mean, c);
    // Partitions interleave, so event time can step back a little: never drain for negative time.
    const elapsedMinutes = Math.max(0, o.publishedAtMs - state.rateCusumAtMs) / MINUTE;
    state.rateCusumAtMs = Math.max(state.rateCusumAtMs, o.publishedAtMs);
    state.rateCusum = Math.max(0, state.rateCusum - llr.drainPerMinute * Math.min(elapsedMinutes, 24 * 60));
    if (state.rateCusum === 0) state.rateRun = emptyRun();
    // Reprints are not fresh evidence here either (see cusumStep).
    if (weight < 0.5) return null;
    state.rateCusum = Math.max(0, state.rateCusum + weight * (o.negative ? llr.negative : llr.other));
    if (state.rateCusum === 0) {
      state.rateRun = emptyRun();
      return null;
    }
    extendRun(state.rateRun, o, weight, minute);
    if (state.rateCusum < c.rateCusumThreshold) return null;
    const w = this.runStats(state, state.rateRun, minute);
    if (w.total < c.minCount || w.z < c.rateCusumShareZ) return null;
    return this.fireAlert(state, minute, w, nowMs);
  }

  /** Share and z of a CUSUM's run since its estimated onset, up to `minute`. */
  private runStats(state: KeyState, run: KeyState['run'], minute: number) {
    const firstMinute = Math.min(run.fromMinute ?? minute, minute);
    return this.stats(state, minute - firstMinute + 1, run.total, run.negative, run.headlines);
  }

  /** Whether the key may fire at `minute`: re-armed since its last alert and out of its cooldown. */
  private canFire(state: KeyState, minute: number): boolean {
    return state.armed && minute - state.lastFiredMinute >= this.config.cooldownMinutes;
  }

  snapshot(): DetectorSnapshot {
    const fin = (n: number) => (Number.isFinite(n) ? n : null);
    return {
      closedMinute: fin(this.closedMinute),
      keys: [...this.keys.values()].map((s) => ({ scope: s.scope, key: s.key, mean: s.mean, variance: s.variance, learned: s.learned, armed: s.armed, lastFiredMinute: fin(s.lastFiredMinute), buckets: [...s.buckets], cusum: s.cusum, run: s.run, volume: s.volume, rate: s.rate, rateTrend: s.rateTrend, rateMinute: s.rateMinute, rateCusum: s.rateCusum, rateCusumAtMs: s.rateCusumAtMs, rateRun: s.rateRun })),
    };
  }

  /** Resumes from a snapshot: baselines and alert state as they were, no minute evaluated twice. */
  restore(snap: DetectorSnapshot): void {
    this.closedMinute = snap.closedMinute ?? -Infinity;
    for (const k of snap.keys) {
      this.keys.set(`${k.scope}:${k.key}`, { scope: k.scope, key: k.key, mean: k.mean, variance: k.variance, learned: k.learned ?? this.config.warmupItems, armed: k.armed, lastFiredMinute: k.lastFiredMinute ?? -Infinity, buckets: new Map(k.buckets), cusum: k.cusum ?? 0, run: k.run ?? emptyRun(), volume: k.volume ?? 0, rate: k.rate ?? 0, rateTrend: k.rateTrend ?? 0, rateMinute: k.rateMinute ?? null, rateCusum: k.rateCusum ?? 0, rateCusumAtMs: k.rateCusumAtMs ?? 0, rateRun: k.rateRun ?? emptyRun() });
    }
  }

  /** The event time up to which every minute can be evaluated. */
  watermarkMs(nowMs: number): number {
    if (this.maxEventMs === -Infinity) return -Infinity;
    // Idle: close what was seen, but never a minute that the clock says is still running.
    if (nowMs - this.lastObservedAt >= this.config.idleFlushMs) return Math.min(this.maxEventMs + MINUTE, nowMs - this.config.latenessMs);
    if (nowMs - this.resumedAt < this.config.partitionIdleMs) return this.heldWatermark;
    return this.flowingWatermarkMs(nowMs);
  }

  /** The watermark while items flow: the slowest active partition, minus the allowed lateness. */
  private flowingWatermarkMs(nowMs: number): number {
    if (this.maxEventMs === -Infinity) return -Infinity;
    let low = Infinity;
    // A partition counts as idle only if it stayed quiet while the stream was flowing: after an
    // outage upstream every partition's backlog arrives one fetch after another, and a partition
    // whose turn has not come yet must still hold the watermark back, or its items would all be late.
    for (const { eventMs, seenAt } of this.partitionHigh.values()) {
      if (nowMs - Math.max(seenAt, this.resumedAt) < this.config.partitionIdleMs) low = Math.min(low, eventMs);
    }
    if (low === Infinity) low = this.maxEventMs;
    return low - this.config.latenessMs;
  }

  /** Evaluates every minute the watermark has passed; returns the alerts to fire, oldest first. */
  advance(nowMs: number): Alert[] {
    const onArrival = this.firedOnArrival;
    this.firedOnArrival = [];
    const wm = this.watermarkMs(nowMs);
    const lastClosable = Math.floor(wm / MINUTE) - 1; // minute m is complete once wm >= (m+1) minutes
    if (!Number.isFinite(lastClosable)) return onArrival;
    if (lastClosable <= this.closedMinute) return [...onArrival, ...this.earlyLook(nowMs)];
    const first = this.closedMinute === -Infinity ? this.firstDataMinute() : this.closedMinute + 1;
    const alerts: Alert[] = [];
    for (let m = first; m <= lastClosable; m = this.nextMinuteWithData(m, lastClosable)) {
      const market = this.config.scopes.includes('market') ? this.evaluate(this.keys.get('market:*'), m, nowMs) : null;
      if (market) alerts.push(market);
      for (const state of this.keys.values()) {
        if (state.scope === 'market') continue;
        const a = this.evaluate(state, m, nowMs);
        if (a && !(state.scope === 'topic' && this.marketInAlert(m))) alerts.push(a);
      }
    }
    this.closedMinute = lastClosable;
    this.evict();
    return [...onArrival, ...alerts, ...this.earlyLook(nowMs)];
  }

  /**
   * Checks the minute after the last closed one, while it is still filling, so a large spike
   * fires seconds after it starts instead of after its minute closes. Only firing happens here:
   * the baseline learns and keys re-arm when minutes close. Runs only when items arrived since
   * the last look.
   */
  private earlyLook(nowMs: number): Alert[] {
    if (this.config.earlyExtraZ < 0 || !this.dirty || !Number.isFinite(this.closedMinute)) return [];
    this.dirty = false;
    const open = this.closedMinute + 1;
    const zThreshold = this.config.zThreshold + this.config.earlyExtraZ;
    const market = this.config.scopes.includes('market') ? this.evaluate(this.keys.get('market:*'), open, nowMs, { zThreshold, learn: false }) : null;
    const alerts = market ? [market] : [];
    for (const state of this.keys.values()) {
      if (state.scope === 'market') continue;
      const a = this.evaluate(state, open, nowMs, { zThreshold, learn: false });
      if (a && !(state.scope === 'topic' && this.marketInAlert(open))) alerts.push(a);
    }
    return alerts;
  }

  /**
   * Whether the market key fired within the last window and has not calmed down (re-armed) since:
   * a topic alert then belongs to the same story and is not sent on its own (the topic still
   * enters its cooldown). Older market alerts suppress nothing, so a later spike of one topic is
   * not hidden behind a market alert that is still open.
   */
  private marketInAlert(minute: number): boolean {
    const market = this.keys.get('market:*');
    return market !== undefined && !market.armed && minute - market.lastFiredMinute < this.config.windowMinutes;
  }

  /** Weighted counts and top headlines of the `minutes` minutes ending with `minute`. */
  private windowStats(state: KeyState, minute: number, minutes: number) {
    let total = 0;
    let negative = 0;
    const headlines: Bucket['headlines'] = [];
    for (let m = minute - minutes + 1; m <= minute; m++) {
      const b = state.buckets.get(m);
      if (!b) continue;
      total += b.total;
      negative += b.negative;
      headlines.push(...b.headlines);
    }
    return this.stats(state, minutes, total, negative, headlines);
  }

  /** Share and z of `negative` out of `total` weighted items against the key's baseline. */
  private stats(state: KeyState, minutes: number, total: number, negative: number, headlines: Bucket['headlines']) {
    const sd = Math.sqrt(state.variance + (state.mean * (1 - state.mean)) / Math.max(total, 1e-9));
    // Continuity correction: counts are discrete, and without it small windows fire on noise.
    const z = total > 0 ? (Math.max(0, negative - 0.5) / total - state.mean) / Math.max(sd, 1e-6) : 0;
    return { minutes, total, negative, share: total > 0 ? negative / total : 0, z, headlines };
  }

  /**
   * Whether `w` is evidence enough to fire: enough items, z and lift over the baseline, and, since
   * the normal z is not enough for small counts (the binomial tail is heavier), the exact binomial
   * tail probability of this many negatives as rare as `zThreshold` says.
   */
  private clearsBars(state: KeyState, w: ReturnType<SpikeDetector['stats']>, zThreshold: number): boolean {
    const c = this.config;
    return (
      w.total >= c.minCount &&
      w.z >= zThreshold &&
      w.share - state.mean >= c.minLift &&
      binomialUpperTail(Math.round(w.negative), Math.round(w.total), state.mean) <= normalUpperTail(zThreshold)
    );
  }

  private evaluate(state: KeyState | undefined, minute: number, nowMs: number, early?: { zThreshold: number; learn: false }): Alert | null {
    if (!state) return null;
    const c = this.config;
    const zThreshold = early?.zThreshold ?? c.zThreshold;
    // The long window is steady; the short one catches a large spike within a minute or two of
    // its onset, before it dominates the long window (measured in docs/alerts.md).
    const windows = [this.windowStats(state, minute, c.windowMinutes)];
    if (c.shortWindowMinutes > 0 && c.shortWindowMinutes < c.windowMinutes) windows.push(this.windowStats(state, minute, c.shortWindowMinutes));
    // The early look also judges the open minute on its own: a spike that began inside it is
    // not diluted by the calm minutes before.
    if (early && c.shortWindowMinutes > 1) windows.push(this.windowStats(state, minute, 1));
    if (!early && !state.armed && Math.max(...windows.map((w) => w.z)) < c.rearmZ) state.armed = true;
    const warmedUp = state.learned >= c.warmupItems;
    const w = warmedUp && this.canFire(state, minute) ? windows.find((x) => this.clearsBars(state, x, zThreshold)) : undefined;
    const alert = w ? this.fireAlert(state, minute, w, nowMs) : null;
    // While the window already looks unusual, the baseline stays put: a spike that builds over a few
    // minutes must not teach the baseline its own first minutes as they leave the window.
    if (!early) {
      const frozen = Math.max(...windows.map((x) => x.z)) >= c.freezeZ;
      if (!frozen) this.learn(state, minute);
      this.learnRate(state, minute, frozen || !state.armed);
    }
    return alert;
  }

  private fireAlert(state: KeyState, minute: number, w: ReturnType<SpikeDetector['stats']>, nowMs: number): Alert {
    const c = this.config;
    state.armed = false;
    state.lastFiredMinute = minute;
    // Whichever test fired, the evidence so far is spent: a CUSUM still high from this spike would
    // otherwise fire again the moment the key re-arms.
    state.cusum = 0;
    state.run = emptyRun();
    state.rateCusum = 0;
    state.rateRun = emptyRun();
    const windowEnd = (minute + 1) * MINUTE;
    const headlines = [...w.headlines].sort((x, y) => y.p - x.p);
    return {
      schema_version: SCHEMA_VERSION,
      id: alertId(state.scope, state.key, windowEnd),
      kind: 'negative_spike',
      scope: state.scope,
      key: state.key,
      severity: w.z >= c.criticalZ ? 'critical' : 'warning',
      window_start: new Date(windowEnd - w.minutes * MINUTE).toISOString(),
      window_end: new Date(windowEnd).toISOString(),
      negative_count: Math.round(w.negative * 100) / 100,
      total_count: Math.round(w.total * 100) / 100,
      negative_share: Math.round(w.share * 10_000) / 10_000,
      baseline_share: Math.round(state.mean * 10_000) / 10_000,
      z_score: Math.round(w.z * 100) / 100,
      headlines: headlines.slice(0, 5).map(({ id, title, url }) => ({ id, title, url })),
      fired_at: new Date(nowMs).toISOString(),
      delivery_state: 'pending',
      delivery_attempts: 0,
      delivery_error: null,
    };
  }

  /**
   * The baseline learns from the minute that just left the window, never from the window being
   * judged, so the first minutes of a spike cannot teach the baseline that they are normal; and
   * not at all while the key is in alert (disarmed). Mean: count-weighted EWMA of negative
   * share. Variance: EWMA of the window share's excess over pure sampling noise.
   */
  private learn(state: KeyState, minute: number): void {
    if (!state.armed) return;
    const c = this.config;
    const leaving = state.buckets.get(minute - c.windowMinutes);
    if (!leaving || leaving.total === 0) return;
    // The mean is a running mean while the baseline is young (the prior counts as priorWeight
    // items), the EWMA after: a key whose true share is far from the prior converges in tens of
    // items, not hundreds. The variance always learns at the slow EWMA rate: single-item minutes
    // are all noise, and learning them fast would inflate it until nothing could fire.
    const ewma = 1 - (1 - c.baselineAlpha) ** leaving.total;
    const alphaMean = Math.max(ewma, leaving.total / (c.priorWeight + state.learned + leaving.total));
    state.learned += leaving.total;
    state.volume += (state.volume === 0 ? 1 : 0.05) * (leaving.total - state.volume);
    const share = leaving.negative / leaving.total;
    const diff = share - state.mean;
    state.mean += alphaMean * diff;
    const excess = diff * diff - (state.mean * (1 - state.mean)) / leaving.total;
    state.variance = Math.max(c.minVariance, state.variance + ewma * (excess - state.variance));
  }

  /**
   * Folds the minute leaving the window into the key's item rate, quiet minutes included (a key
   * seen once an hour has a rate of 1/60, not 1). Like the share, the rate does not learn while
   * the key looks unusual or is in alert: a spike must not raise the bar it is judged against.
   */
  private learnRate(state: KeyState, minute: number, frozen: boolean): void {
    const leavingMinute = minute - this.config.windowMinutes;
    const leaving = state.buckets.get(leavingMinute)?.total ?? 0;
    if (state.rateMinute === null) {
      if (leaving === 0) return;
      state.rate = leaving;
      state.rateMinute = leavingMinute;
      return;
    }
    if (leavingMinute <= state.rateMinute) return;
    // Minutes between the last one accounted for and this one had no items for this key.
    const quiet = leavingMinute - state.rateMinute - 1;
    state.rateMinute = leavingMinute;
    if (frozen) return;
    const a = RATE_ALPHA;
    const b = RATE_TREND_BETA;
    // One Holt step per minute: the quiet ones (at most a day's worth) with 0 items, then this one.
    const steps = Math.min(quiet, 1_440);
    for (let i = 0; i <= steps; i++) {
      const x = i === steps ? leaving : 0;
      const level = a * x + (1 - a) * Math.max(0, state.rate + state.rateTrend);
      state.rateTrend = b * (level - state.rate) + (1 - b) * state.rateTrend;
      state.rate = level;
    }
  }

  private keysOf(o: Observation): Array<[Alert['scope'], string]> {
    const keys: Array<[Alert['scope'], string]> = [];
    if (o.market && this.config.scopes.includes('market')) keys.push(['market', '*']);
    if (o.topic !== null && this.config.scopes.includes('topic')) keys.push(['topic', o.topic]);
    if (this.config.scopes.includes('ticker')) for (const t of o.tickers) keys.push(['ticker', t]);
    return keys;
  }

  private state(scope: Alert['scope'], key: string): KeyState {
    const id = `${scope}:${key}`;
    let s = this.keys.get(id);
    if (!s) {
      s = { scope, key, buckets: new Map(), mean: this.config.priorShare, variance: this.config.priorVariance, learned: 0, armed: true, lastFiredMinute: -Infinity, cusum: 0, run: emptyRun(), volume: 0, rate: 0, rateTrend: 0, rateMinute: null, rateCusum: 0, rateCusumAtMs: 0, rateRun: emptyRun() };
      this.keys.set(id, s);
    }
    return s;
  }

  private firstDataMinute(): number {
    let first = Infinity;
    for (const s of this.keys.values()) for (const m of s.buckets.keys()) first = Math.min(first, m);
    return first;
  }

  /**
   * Skips stretches where no window can hold data, so a long gap costs nothing; but still visits the
   * minute in which the last bucket leaves the window, because that is when the baseline learns it.
   */
  private nextMinuteWithData(m: number, last: number): number {
    let next = Infinity;
    for (const s of this.keys.values()) for (const k of s.buckets.keys()) if (k > m && k < next) next = k;
    const windowStillOpen = m + 1;
    const hasDataInWindow = [...this.keys.values()].some((s) => [...s.buckets.keys()].some((k) => k > m - this.config.windowMinutes && k <= m));
    const candidate = hasDataInWindow ? windowStillOpen : next;
    return candidate > last ? last + 1 : candidate;
  }

  private evict(): void {
    const keepFrom = this.closedMinute - this.config.windowMinutes;
    for (const [id, s] of this.keys) {
      for (const m of s.buckets.keys()) if (m < keepFrom) s.buckets.delete(m);
      // A quiet ticker keeps its learnt baseline (forgetting it would restart its warm-up every
      // time, and a sparse ticker could never fire); only tickers that taught nothing are dropped.
      if (s.buckets.size === 0 && s.scope === 'ticker' && s.armed && s.lastFiredMinute === -Infinity && s.learned === 0) this.keys.delete(id);
    }
  }
}
