/**
 * The detector itself: routes each item to its keys, runs the CUSUMs as items arrive, judges every minute the
 * watermark closes (and the one still filling, for a large spike), and keeps the market's alerts from being
 * repeated by its topics. The statistics live beside it: clock.ts, window-test.ts, cusum.ts, baseline.ts,
 * alert.ts; the persisted form in snapshot.ts. Pure: no I/O, no wall clock except what it is given.
 */
import type { Alert } from '@finsent/shared';
import { buildAlert } from './alert.js';
import { learnRate, learnShare } from './baseline.js';
import { EventClock } from './clock.js';
import { shareCusumStep, volumeCusumStep } from './cusum.js';
import { DEFAULT_DETECTOR_CONFIG, type DetectorConfig } from './detector-config.js';
import {
  canFire,
  keepTopHeadline,
  markFired,
  MINUTE,
  newKeyState,
  resetCusums,
  type KeyState,
  type Observation,
} from './key-state.js';
import { fromKeySnapshot, readSnapshot, SNAPSHOT_VERSION, toKeySnapshot, type DetectorSnapshot } from './snapshot.js';
import { clearsBars, windowsAt, type Evidence } from './window-test.js';

export class SpikeDetector {
  /** By `scope:key`. The market key is `market:*`. */
  private readonly keys = new Map<string, KeyState>();
  private readonly clock: EventClock;
  /** Last evaluated minute (-Infinity: none yet). */
  private closedMinute = -Infinity;
  /** Items arrived since the last early look. */
  private dirty = false;
  /** Fired by the CUSUM as items arrived; handed out by the next advance(). */
  private firedOnArrival: Alert[] = [];
  lateItems = 0;
  /** Items dated ahead of the clock by more than the allowed lateness (a bad clock, or a crafted date). */
  futureItems = 0;

  constructor(readonly config: DetectorConfig = DEFAULT_DETECTOR_CONFIG) {
    this.clock = new EventClock(config);
  }

  observe(dated: Observation, nowMs: number): void {
    // An item dated ahead counts in the minute it arrived in and nowhere else: it never moves the watermark
    // (see EventClock.observe), and it feeds no CUSUM (five of them fired a market alert on their own).
    const suspect = this.clock.isAhead(dated.publishedAtMs, nowMs);
    if (suspect) this.futureItems++;
    const eventMs = this.clock.eventTime(dated.publishedAtMs, nowMs);
    const o = eventMs === dated.publishedAtMs ? dated : { ...dated, publishedAtMs: eventMs };
    this.dirty = true;
    if (!suspect) this.clock.observe(o.partition, o.publishedAtMs, nowMs);
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
      if (minute > this.closedMinute && !canFire(state, minute, this.config)) {
        // In alert or cooling down: what arrives now is the known story, not evidence of a new one.
        // The CUSUMs stay at 0 rather than carry this spike into the moment the key can fire again.
        resetCusums(state);
      } else if (minute > this.closedMinute && !suspect) {
        const c = this.config;
        const w = shareCusumStep(state, o, weight, minute, c) ?? volumeCusumStep(state, o, weight, minute, c);
        const a = w ? this.fire(state, minute, w, nowMs) : null;
        if (a && !(scope === 'topic' && this.marketInAlert(minute))) this.firedOnArrival.push(a);
      }
    }
  }

  /** The event time up to which every minute can be evaluated (see EventClock). */
  watermarkMs(nowMs: number): number {
    return this.clock.watermarkMs(nowMs);
  }

  /** Evaluates every minute the watermark has passed; returns the alerts to fire, oldest first. */
  advance(nowMs: number): Alert[] {
    const onArrival = this.firedOnArrival;
    this.firedOnArrival = [];
    const wm = this.clock.watermarkMs(nowMs);
    const lastClosable = Math.floor(wm / MINUTE) - 1; // minute m is complete once wm >= (m+1) minutes
    if (!Number.isFinite(lastClosable)) return onArrival;
    if (lastClosable <= this.closedMinute) return [...onArrival, ...this.earlyLook(nowMs)];
    const first = this.closedMinute === -Infinity ? this.firstDataMinute() : this.closedMinute + 1;
    const alerts: Alert[] = [];
    for (let m = first; m <= lastClosable; m = this.nextMinuteWithData(m, lastClosable)) {
      alerts.push(...this.evaluateAll(m, nowMs));
    }
    this.closedMinute = lastClosable;
    this.evict();
    return [...onArrival, ...alerts, ...this.earlyLook(nowMs)];
  }

  /**
   * Checks the minute after the last closed one, while it is still filling, so a large spike
   * fires seconds after it starts instead of after its minute closes. Only firing happens here:
   * the baseline learns and keys re-arm when minutes close. Runs only when items arrived since
   * the last look; it is tested many times per minute, hence the higher bar (earlyExtraZ).
   */
  private earlyLook(nowMs: number): Alert[] {
    if (this.config.earlyExtraZ < 0 || !this.dirty || !Number.isFinite(this.closedMinute)) return [];
    this.dirty = false;
    const zThreshold = this.config.zThreshold + this.config.earlyExtraZ;
    return this.evaluateAll(this.closedMinute + 1, nowMs, { zThreshold });
  }

  /**
   * Every key at `minute`, the market first: for a window after it fires (until it re-arms), its
   * topics' alerts are suppressed, being its children and part of the same story.
   */
  private evaluateAll(minute: number, nowMs: number, early?: { zThreshold: number }): Alert[] {
    const alerts: Alert[] = [];
    if (this.config.scopes.includes('market')) {
      const market = this.evaluate(this.keys.get('market:*'), minute, nowMs, early);
      if (market) alerts.push(market);
    }
    for (const state of this.keys.values()) {
      if (state.scope === 'market') continue;
      const a = this.evaluate(state, minute, nowMs, early);
      if (a && !(state.scope === 'topic' && this.marketInAlert(minute))) alerts.push(a);
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

  /**
   * Judges one key's windows at `minute`. A closed minute also re-arms the key once every window is calm
   * again (hysteresis: rearmZ is well below zThreshold) and teaches the baseline; an early look only fires.
   */
  private evaluate(
    state: KeyState | undefined,
    minute: number,
    nowMs: number,
    early?: { zThreshold: number },
  ): Alert | null {
    if (!state) return null;
    const c = this.config;
    const windows = windowsAt(state, minute, c, early !== undefined);
    const maxZ = Math.max(...windows.map((w) => w.z));
    if (!early && !state.armed && maxZ < c.rearmZ) state.armed = true;
    const zThreshold = early?.zThreshold ?? c.zThreshold;
    const warmedUp = state.learned >= c.warmupItems;
    const mayFire = warmedUp && canFire(state, minute, c);
    const w = mayFire ? windows.find((x) => clearsBars(state, x, zThreshold, c)) : undefined;
    const alert = w ? this.fire(state, minute, w, nowMs) : null;
    // While the window already looks unusual, the baseline stays put: a spike that builds over a few
    // minutes must not teach the baseline its own first minutes as they leave the window.
    if (!early) {
      const frozen = maxZ >= c.freezeZ;
      if (!frozen) learnShare(state, minute, c);
      learnRate(state, minute, frozen || !state.armed, c);
    }
    return alert;
  }

  private fire(state: KeyState, minute: number, w: Evidence, nowMs: number): Alert {
    markFired(state, minute);
    return buildAlert(state, minute, w, nowMs, this.config);
  }

  snapshot(): DetectorSnapshot {
    return {
      version: SNAPSHOT_VERSION,
      closedMinute: Number.isFinite(this.closedMinute) ? this.closedMinute : null,
      keys: [...this.keys.values()].map(toKeySnapshot),
    };
  }

  /**
   * Resumes from a snapshot (any version readSnapshot knows; validated before anything changes, a bad one
   * throws SnapshotError): baselines and alert state as they were, no minute evaluated twice.
   */
  restore(snapshot: unknown): void {
    const snap = readSnapshot(snapshot, this.config.warmupItems);
    this.closedMinute = snap.closedMinute ?? -Infinity;
    for (const k of snap.keys) this.keys.set(`${k.scope}:${k.key}`, fromKeySnapshot(k));
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
    if (!s) this.keys.set(id, (s = newKeyState(scope, key, this.config)));
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
    const inWindow = (k: number) => k > m - this.config.windowMinutes && k <= m;
    const hasDataInWindow = [...this.keys.values()].some((s) => [...s.buckets.keys()].some(inWindow));
    const candidate = hasDataInWindow ? windowStillOpen : next;
    return candidate > last ? last + 1 : candidate;
  }

  private evict(): void {
    const keepFrom = this.closedMinute - this.config.windowMinutes;
    for (const [id, s] of this.keys) {
      for (const m of s.buckets.keys()) if (m < keepFrom) s.buckets.delete(m);
      // A quiet ticker keeps its learnt baseline (forgetting it would restart its warm-up every
      // time, and a sparse ticker could never fire); only tickers that taught nothing are dropped.
      const taughtNothing = s.armed && s.lastFiredMinute === -Infinity && s.learned === 0;
      if (s.buckets.size === 0 && s.scope === 'ticker' && taughtNothing) this.keys.delete(id);
    }
  }
}
