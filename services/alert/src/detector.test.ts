import { describe, expect, it } from 'vitest';
import { mulberry32 as rng } from './backtest/stream-generator.js';
import { DEFAULT_DETECTOR_CONFIG, SpikeDetector, type Observation } from './detector.js';

const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const MIN = 60_000;
const TOPICS = ['Earnings', 'Markets', 'Financials', 'Macro'];
/** A processing time later than every event of the watermark tests: the detector catching up on a backlog. */
const CATCHING_UP = T0 + 60 * MIN;

function stream(opts: {
  minutes: number;
  perMinute: number;
  negShare: (minute: number, topic: string) => number;
  seed?: number;
  novelty?: (minute: number) => number;
  startMinute?: number;
}): Observation[] {
  const r = rng(opts.seed ?? 1);
  const out: Observation[] = [];
  for (let m = opts.startMinute ?? 0; m < (opts.startMinute ?? 0) + opts.minutes; m++) {
    for (let i = 0; i < opts.perMinute; i++) {
      const topic = TOPICS[Math.floor(r() * TOPICS.length)]!;
      const negative = r() < opts.negShare(m, topic);
      out.push({
        id: `m${m}-${i}`,
        title: `headline ${m}-${i}`,
        url: null,
        publishedAtMs: T0 + m * MIN + Math.floor((i / opts.perMinute) * MIN),
        negative,
        pNegative: negative ? 0.9 : 0.1,
        market: true,
        topic,
        tickers: [],
        novelty: opts.novelty?.(m) ?? 1,
        partition: i % 3,
      });
    }
  }
  return out;
}

function run(d: SpikeDetector, obs: Observation[]) {
  const alerts = [];
  for (const o of obs) {
    // Simulated processing time tracks event time, so partitions never look idle.
    d.observe(o, o.publishedAtMs);
    alerts.push(...d.advance(o.publishedAtMs));
  }
  const end = obs[obs.length - 1]!.publishedAtMs;
  alerts.push(...d.advance(end + DEFAULT_DETECTOR_CONFIG.idleFlushMs + 1));
  return alerts;
}

describe('SpikeDetector', () => {
  it('stays quiet on three hours of noisy but stationary traffic', () => {
    const d = new SpikeDetector();
    const alerts = run(d, stream({ minutes: 180, perMinute: 6, negShare: () => 0.25, seed: 7 }));
    expect(
      alerts.map((a) => [a.scope, a.key, a.window_end, a.negative_count, a.total_count, a.baseline_share, a.z_score]),
    ).toEqual([]);
  });

  it('fires once, market-wide, when negative share jumps across the market', () => {
    const d = new SpikeDetector();
    const calm = stream({ minutes: 120, perMinute: 6, negShare: () => 0.25, seed: 3 });
    const spike = stream({ minutes: 15, perMinute: 6, negShare: () => 0.85, seed: 4, startMinute: 120 });
    const after = stream({ minutes: 20, perMinute: 6, negShare: () => 0.25, seed: 5, startMinute: 135 });
    const alerts = run(d, [...calm, ...spike, ...after]);
    const market = alerts.filter((a) => a.scope === 'market');
    expect(market).toHaveLength(1);
    const a = market[0]!;
    const windowEnd = Date.parse(a.window_end);
    // Detected within 5 minutes of onset, with the numbers that justify it.
    expect(windowEnd - (T0 + 120 * MIN)).toBeLessThanOrEqual(5 * MIN);
    expect(a.negative_share).toBeGreaterThan(a.baseline_share + 0.15);
    expect(a.z_score).toBeGreaterThanOrEqual(3);
    expect(a.headlines.length).toBeGreaterThan(0);
    // The market alert suppresses topic alerts of the same minute.
    expect(alerts.filter((x) => x.scope === 'topic' && x.window_end === a.window_end)).toEqual([]);
  });

  it('fires for one topic when only that topic turns negative', () => {
    const d = new SpikeDetector();
    const obs = stream({
      minutes: 150,
      perMinute: 12,
      negShare: (m, t) => (m >= 120 && t === 'Financials' ? 0.95 : 0.2),
      seed: 11,
    });
    const alerts = run(d, obs);
    expect(alerts.map((a) => `${a.scope}:${a.key}`)).toContain('topic:Financials');
    expect(alerts.filter((a) => a.scope === 'topic' && a.key !== 'Financials')).toEqual([]);
  });

  it('ignores a burst of reprints (novelty 0)', () => {
    const d = new SpikeDetector();
    const calm = stream({ minutes: 120, perMinute: 6, negShare: () => 0.25, seed: 3 });
    const reprints = stream({
      minutes: 15,
      perMinute: 30,
      negShare: () => 1,
      seed: 4,
      startMinute: 120,
      novelty: () => 0,
    });
    const alerts = run(
      d,
      [...calm, ...reprints].sort((a, b) => a.publishedAtMs - b.publishedAtMs),
    );
    expect(alerts).toEqual([]);
  });

  it('gives the same alert id for the same spike, so a replayed stream re-fires nothing new', () => {
    const obs = [
      ...stream({ minutes: 120, perMinute: 6, negShare: () => 0.25, seed: 3 }),
      ...stream({ minutes: 15, perMinute: 6, negShare: () => 0.9, seed: 4, startMinute: 120 }),
    ];
    const ids1 = run(new SpikeDetector(), obs).map((a) => a.id);
    const ids2 = run(new SpikeDetector(), obs).map((a) => a.id);
    expect(ids1.length).toBeGreaterThan(0);
    expect(ids2).toEqual(ids1);
  });

  it('holds the watermark back for a partition that is behind', () => {
    const d = new SpikeDetector();
    const base = (minute: number, partition: number): Observation => ({
      id: `${minute}-${partition}`,
      title: 't',
      url: null,
      publishedAtMs: T0 + minute * MIN,
      negative: false,
      pNegative: 0,
      market: true,
      topic: 'Markets',
      tickers: [],
      novelty: 1,
      partition,
    });
    // The stream has been flowing for a while (past the start-up grace period), catching up on a backlog.
    for (let s = 0; s <= 10; s++) d.observe(base(1, 0), CATCHING_UP + s * 1_000);
    const now = CATCHING_UP + 10_000;
    d.observe(base(30, 0), now);
    d.observe(base(2, 1), now);
    // Partition 1 is at minute 2, so nothing past minute 2 (minus lateness) may close yet.
    expect(d.watermarkMs(now)).toBe(T0 + 2 * MIN - DEFAULT_DETECTOR_CONFIG.latenessMs);
    // Once partition 1 has been idle, it no longer holds the watermark.
    expect(d.watermarkMs(now + DEFAULT_DETECTOR_CONFIG.partitionIdleMs)).toBeGreaterThan(T0 + 2 * MIN);
  });

  it('at start-up, holds the watermark until partitions not seen yet have had time to deliver', () => {
    const d = new SpikeDetector();
    const obs = (minute: number, partition: number): Observation => ({
      id: `${minute}-${partition}`,
      title: 't',
      url: null,
      publishedAtMs: T0 + minute * MIN,
      negative: false,
      pNegative: 0,
      market: true,
      topic: 'Markets',
      tickers: [],
      novelty: 1,
      partition,
    });
    // Partition 0's whole backlog arrives first; partition 1 (never seen yet) comes a fetch later.
    for (let m = 0; m < 60; m++) d.observe(obs(m, 0), T0);
    expect(d.advance(T0 + 1_000)).toEqual([]);
    expect(d.watermarkMs(T0 + 1_000)).toBe(-Infinity);
    d.observe(obs(0, 1), T0 + 2_000);
    // Partition 1 joined within the grace period: it holds the watermark at its own position.
    expect(d.watermarkMs(T0 + DEFAULT_DETECTOR_CONFIG.partitionIdleMs + 1)).toBeLessThan(T0 + MIN);
  });

  it('after the whole stream stalled, a partition whose backlog comes later still holds the watermark', () => {
    const d = new SpikeDetector();
    const obs = (minute: number, partition: number): Observation => ({
      id: `${minute}-${partition}`,
      title: 't',
      url: null,
      publishedAtMs: T0 + minute * MIN,
      negative: false,
      pNegative: 0,
      market: true,
      topic: 'Markets',
      tickers: [],
      novelty: 1,
      partition,
    });
    d.observe(obs(3, 0), CATCHING_UP);
    d.observe(obs(3, 1), CATCHING_UP);
    // 30 s of silence (classify was down), then partition 0's whole backlog arrives first.
    const resumed = CATCHING_UP + 30_000;
    d.observe(obs(40, 0), resumed);
    // Partition 1 (still at minute 3, its backlog not fetched yet) must hold the watermark back…
    expect(d.watermarkMs(resumed + 1_000)).toBeLessThan(T0 + 4 * MIN);
    // …until it has had its grace period to show up.
    expect(d.watermarkMs(resumed + DEFAULT_DETECTOR_CONFIG.partitionIdleMs)).toBeGreaterThan(T0 + 30 * MIN);
  });

  it('fires on a large market-wide spike within a minute of onset, before its minute closes', () => {
    const d = new SpikeDetector();
    const r = rng(21);
    const onset = T0 + 60 * MIN + 30_000; // mid-minute
    let firedAt: number | undefined;
    for (let s = 0; s < 2 * 3600 && firedAt === undefined; s++) {
      const now = T0 + s * 1_000;
      for (let k = 0; k < 2; k++) {
        const negative = r() < (now >= onset ? 0.8 : 0.25);
        d.observe(
          {
            id: `${s}-${k}`,
            title: 't',
            url: null,
            publishedAtMs: now,
            negative,
            pNegative: negative ? 0.9 : 0.1,
            market: true,
            topic: TOPICS[k]!,
            tickers: [],
            novelty: 1,
            partition: k,
          },
          now,
        );
      }
      if (d.advance(now).some((a) => a.scope === 'market')) firedAt = now;
    }
    expect(firedAt).toBeDefined();
    expect(firedAt! - onset).toBeLessThan(60_000);
    // …and it is the early look that caught it: the onset's minute had not closed yet.
    expect(firedAt!).toBeLessThan((Math.floor(onset / MIN) + 1) * MIN + DEFAULT_DETECTOR_CONFIG.latenessMs);
  });

  it('does not fire from a cold start on a topic that is simply gloomier than the prior', () => {
    const d = new SpikeDetector();
    // Financials is normally 55% negative (the prior says 25%), at 30 items a minute.
    const alerts = run(
      d,
      stream({ minutes: 90, perMinute: 120, negShare: (_, t) => (t === 'Financials' ? 0.55 : 0.25), seed: 5 }),
    );
    expect(alerts.filter((a) => a.key === 'Financials')).toEqual([]);
  });

  it('with the CUSUM, catches a spike on a quiet topic sooner than the windows alone', () => {
    // 4 items a minute per topic; Macro goes from 20% to 80% negative at minute 150.
    const obs = stream({
      minutes: 165,
      perMinute: 16,
      negShare: (m, t) => (m >= 150 && t === 'Macro' ? 0.8 : 0.2),
      seed: 21,
    });
    const firstMacro = (cusumThreshold: number) => {
      const alerts = run(
        new SpikeDetector({ ...DEFAULT_DETECTOR_CONFIG, scopes: ['topic'], cusumThreshold, rateCusumThreshold: 0 }),
        obs,
      );
      expect(alerts.filter((a) => a.key !== 'Macro')).toEqual([]);
      return Date.parse(alerts.find((a) => a.key === 'Macro')!.fired_at) - (T0 + 150 * MIN);
    };
    const withCusum = firstMacro(DEFAULT_DETECTOR_CONFIG.cusumThreshold);
    const windowsOnly = firstMacro(0);
    // about 11 items of evidence at 4 a minute; the windows need their minutes to fill (270 s)
    expect(withCusum).toBeLessThan(windowsOnly - 30_000);
    expect(withCusum).toBeLessThanOrEqual(3.5 * MIN);
  });

  /** `extraPerMinute` more Macro items a minute from `fromMinute` on, `negShare` of them negative. */
  function macroBurst(
    base: Observation[],
    o: { fromMinute: number; minutes: number; extraPerMinute: number; negShare: number; seed: number },
  ): Observation[] {
    const r = rng(o.seed);
    const extra: Observation[] = [];
    for (let m = o.fromMinute; m < o.fromMinute + o.minutes; m++) {
      for (let i = 0; i < o.extraPerMinute; i++) {
        const negative = r() < o.negShare;
        const at = T0 + m * MIN + Math.floor(((i + 0.5) / o.extraPerMinute) * MIN);
        extra.push({
          ...base[0]!,
          id: `burst${m}-${i}`,
          title: `burst ${m}-${i}`,
          publishedAtMs: at,
          negative,
          pNegative: negative ? 0.9 : 0.1,
          topic: 'Macro',
          partition: i % 3,
        });
      }
    }
    return [...base, ...extra].sort((x, y) => x.publishedAtMs - y.publishedAtMs);
  }

  it('with the negative-volume CUSUM, catches a burst of negative stories sooner than the share tests alone', () => {
    // 4 items a minute per topic at 20% negative; from minute 150 Macro gets 4 more a minute, 80% negative.
    const obs = macroBurst(stream({ minutes: 165, perMinute: 16, negShare: () => 0.2, seed: 23 }), {
      fromMinute: 150,
      minutes: 15,
      extraPerMinute: 4,
      negShare: 0.8,
      seed: 4,
    });
    const firstMacro = (rateCusumThreshold: number) => {
      const alerts = run(new SpikeDetector({ ...DEFAULT_DETECTOR_CONFIG, scopes: ['topic'], rateCusumThreshold }), obs);
      expect(alerts.filter((a) => a.key !== 'Macro')).toEqual([]);
      return Date.parse(alerts.find((a) => a.key === 'Macro')!.fired_at) - (T0 + 150 * MIN);
    };
    const withRate = firstMacro(DEFAULT_DETECTOR_CONFIG.rateCusumThreshold);
    const shareOnly = firstMacro(0);
    // The share alone (50% against 20%) needs about 5 minutes of items here; the rate of negatives
    // (2.4 a minute against 0.8) is evidence after about half that.
    expect(withRate).toBeLessThan(shareOnly * 0.6);
    expect(withRate).toBeLessThanOrEqual(3 * MIN);
  });

  it('does not take more news for worse news: a burst of volume at the usual share fires nothing', () => {
    // Macro's volume quadruples for 15 minutes (an earnings season, a busy session), still 20% negative.
    const obs = macroBurst(stream({ minutes: 165, perMinute: 16, negShare: () => 0.2, seed: 23 }), {
      fromMinute: 150,
      minutes: 15,
      extraPerMinute: 12,
      negShare: 0.2,
      seed: 4,
    });
    expect(run(new SpikeDetector({ ...DEFAULT_DETECTOR_CONFIG, scopes: ['topic'] }), obs)).toEqual([]);
  });

  it('keeps the CUSUM across a snapshot, so a restart mid-spike fires the same alert at the same time', () => {
    const obs = stream({
      minutes: 165,
      perMinute: 16,
      negShare: (m, t) => (m >= 150 && t === 'Macro' ? 0.8 : 0.2),
      seed: 21,
    });
    const config = { ...DEFAULT_DETECTOR_CONFIG, scopes: ['topic' as const] };
    const whole = run(new SpikeDetector(config), obs);
    // Stop half a minute after onset (the CUSUM is climbing), restore into a new detector, go on.
    const cut = obs.findIndex((o) => o.publishedAtMs >= T0 + 150.5 * MIN);
    const first = new SpikeDetector(config);
    const before = run(first, obs.slice(0, cut));
    const resumed = new SpikeDetector(config);
    resumed.restore(JSON.parse(JSON.stringify(first.snapshot())));
    const after = run(resumed, obs.slice(cut));
    expect([...before, ...after].map((a) => [a.id, a.fired_at])).toEqual(whole.map((a) => [a.id, a.fired_at]));
  });

  describe('event time is bounded by the clock', () => {
    const calm = () => stream({ minutes: 120, perMinute: 6, negShare: () => 0.25, seed: 3 });
    const spike = () => stream({ minutes: 15, perMinute: 6, negShare: () => 0.85, seed: 4, startMinute: 120 });
    const crafted = (atMinute: number, datedMs: number): Array<Observation & { arriveAt: number }> =>
      Array.from({ length: 5 }, (_, i) => ({
        id: `crafted-${i}`,
        title: `crafted ${i}`,
        url: null,
        publishedAtMs: datedMs,
        negative: true,
        pNegative: 0.99,
        market: true,
        topic: 'Macro',
        tickers: [],
        novelty: 1,
        partition: i % 3,
        arriveAt: T0 + atMinute * MIN + i * 1_000,
      }));

    /** Like run(), but processing time is the item's arrival time, which a crafted item sets apart from its date. */
    function runAt(d: SpikeDetector, obs: Array<Observation & { arriveAt?: number }>) {
      const alerts = [];
      for (const o of obs) {
        const now = o.arriveAt ?? o.publishedAtMs;
        d.observe(o, now);
        alerts.push(...d.advance(now));
      }
      alerts.push(...d.advance(obs[obs.length - 1]!.publishedAtMs + DEFAULT_DETECTOR_CONFIG.idleFlushMs + 1));
      return alerts;
    }
    const byArrival = (xs: Array<Observation & { arriveAt?: number }>) =>
      xs.sort((a, b) => (a.arriveAt ?? a.publishedAtMs) - (b.arriveAt ?? b.publishedAtMs));

    it('five negative items dated 30 minutes ahead neither fire alone nor hide the real spike after them', () => {
      const d = new SpikeDetector();
      const alerts = runAt(d, byArrival([...calm(), ...crafted(110, T0 + 140 * MIN), ...spike()]));
      const market = alerts.filter((a) => a.scope === 'market');
      expect(market).toHaveLength(1);
      expect(Date.parse(market[0]!.window_end)).toBeGreaterThan(T0 + 120 * MIN);
      expect(d.futureItems).toBe(5);
    });

    it('a trickle of items dated ahead does not keep the idle flush from closing the last real minute', () => {
      const d = new SpikeDetector();
      const obs = calm();
      for (const o of obs) d.observe(o, o.publishedAtMs);
      const last = obs[obs.length - 1]!.publishedAtMs;
      // Every 5 s after the stream stopped, an item dated 2099.
      for (let t = last + 5_000; t <= last + 60_000; t += 5_000)
        d.observe({ ...obs[0]!, id: `f${t}`, publishedAtMs: Date.UTC(2099, 0, 1) }, t);
      expect(d.watermarkMs(last + 60_000)).toBeGreaterThanOrEqual(Math.floor(last / MIN) * MIN + MIN);
    });

    it('in a backfill (event time hours behind the clock), items dated ahead close no minute of the stream', () => {
      const d = new SpikeDetector();
      // Processing time a day after the events: the detector replays history.
      const replayed = [...calm(), ...spike()].map((o) => ({ ...o, arriveAt: o.publishedAtMs + 24 * 60 * MIN }));
      const crafted5 = crafted(110, Date.UTC(2099, 0, 1)).map((o) => ({ ...o, arriveAt: o.arriveAt + 24 * 60 * MIN }));
      const alerts = runAt(d, byArrival([...replayed, ...crafted5]));
      expect(alerts.filter((a) => a.scope === 'market')).toHaveLength(1);
      expect(d.lateItems).toBe(0);
      expect(d.futureItems).toBe(5);
    });

    it('one item dated 2099 does not move the watermark: later minutes are evaluated and the spike fires', () => {
      const d = new SpikeDetector();
      const alerts = runAt(d, byArrival([...calm(), ...crafted(100, Date.UTC(2099, 0, 1)).slice(0, 1), ...spike()]));
      expect(alerts.filter((a) => a.scope === 'market')).toHaveLength(1);
      expect(d.lateItems).toBe(0);
    });
  });
});
