import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../backtest/stream-generator.js';
import { DEFAULT_DETECTOR_CONFIG, type DetectorConfig } from './detector-config.js';
import type { Observation } from './key-state.js';
import { DetectorSnapshotSchema, SNAPSHOT_VERSION, SnapshotError, type KeySnapshot } from './snapshot.js';
import { SpikeDetector } from './spike-detector.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const M0 = T0 / MIN;
const CONFIG: DetectorConfig = { ...DEFAULT_DETECTOR_CONFIG, scopes: ['topic'] };

/** 16 items a minute over four topics, 20% negative; Macro turns 80% negative from minute 150 (it fires). */
function items(): Observation[] {
  const r = mulberry32(21);
  const out: Observation[] = [];
  for (let m = 0; m < 165; m++) {
    for (let i = 0; i < 16; i++) {
      const topic = ['Earnings', 'Markets', 'Financials', 'Macro'][Math.floor(r() * 4)]!;
      const negative = r() < (m >= 150 && topic === 'Macro' ? 0.8 : 0.2);
      out.push({
        id: `m${m}-${i}`,
        title: `headline ${m}-${i}`,
        url: null,
        publishedAtMs: T0 + m * MIN + Math.floor((i / 16) * MIN),
        negative,
        pNegative: negative ? 0.9 : 0.1,
        market: false,
        topic,
        tickers: [],
        novelty: 1,
        partition: i % 3,
      });
    }
  }
  return out;
}

function feed(d: SpikeDetector, obs: Observation[]) {
  const alerts = [];
  for (const o of obs) {
    d.observe(o, o.publishedAtMs);
    alerts.push(...d.advance(o.publishedAtMs));
  }
  return alerts;
}

/** A detector stopped mid-spike (Macro's CUSUM climbing), and the rest of the stream. */
function midSpike() {
  const obs = items();
  const cut = obs.findIndex((o) => o.publishedAtMs >= T0 + 150.5 * MIN);
  const d = new SpikeDetector(CONFIG);
  feed(d, obs.slice(0, cut));
  return { d, rest: obs.slice(cut) };
}

/** As the state store hands a snapshot back: the JSON of each key's record, the closed minute from its meta. */
const viaStateStore = (s: { closedMinute: number | null; keys: KeySnapshot[] }) => ({
  closedMinute: s.closedMinute,
  keys: s.keys.map((k) => JSON.parse(JSON.stringify(k)) as KeySnapshot),
});

/** One key as detectors wrote it before snapshots had a version (a record of the state topic). */
const UNVERSIONED_KEY = {
  scope: 'topic',
  key: 'Macro',
  mean: 0.2034,
  variance: 0.0021,
  learned: 812,
  armed: true,
  lastFiredMinute: M0 - 90,
  buckets: [[M0 + 10, { total: 4, negative: 1, headlines: [{ id: 'a1', title: 'Bank fined', url: null, p: 0.91 }] }]],
  cusum: 0.4,
  run: {
    total: 1,
    negative: 1,
    headlines: [{ id: 'a1', title: 'Bank fined', url: null, p: 0.91 }],
    fromMinute: M0 + 10,
  },
  volume: 4.1,
  rate: 3.9,
  rateTrend: 0.01,
  rateMinute: M0 + 5,
  rateCusum: 0,
  rateCusumAtMs: T0 + 10 * MIN,
  rateRun: { total: 0, negative: 0, headlines: [], fromMinute: null },
};

describe('detector snapshot', () => {
  it('round-trips through JSON: versioned, valid, and the same state after restore', () => {
    const { d } = midSpike();
    const snap = JSON.parse(JSON.stringify(d.snapshot())) as unknown;
    expect(DetectorSnapshotSchema.parse(snap).version).toBe(SNAPSHOT_VERSION);
    const restored = new SpikeDetector(CONFIG);
    restored.restore(snap);
    expect(JSON.parse(JSON.stringify(restored.snapshot()))).toEqual(snap);
  });

  it("restores an unversioned snapshot (the state topic's, from before) as version 1, and goes on the same", () => {
    const { d, rest } = midSpike();
    const { version, ...unversioned } = d.snapshot();
    expect(version).toBe(SNAPSHOT_VERSION);
    const fromVersioned = new SpikeDetector(CONFIG);
    fromVersioned.restore(JSON.parse(JSON.stringify(d.snapshot())));
    const fromOld = new SpikeDetector(CONFIG);
    fromOld.restore(viaStateStore(unversioned));
    const alerts = feed(fromVersioned, rest);
    expect(alerts.map((a) => a.key)).toContain('Macro');
    expect(feed(fromOld, rest)).toEqual(alerts);
  });

  it('reads a record of the state topic from before the version, field for field', () => {
    const d = new SpikeDetector(CONFIG);
    d.restore({ closedMinute: M0 + 12, keys: [JSON.parse(JSON.stringify(UNVERSIONED_KEY))] });
    expect(d.snapshot()).toEqual({ version: SNAPSHOT_VERSION, closedMinute: M0 + 12, keys: [UNVERSIONED_KEY] });
  });

  it('fills the fields an older snapshot lacks as that code meant them: warmed up, CUSUMs at rest', () => {
    const { scope, key, mean, variance, armed, buckets } = UNVERSIONED_KEY;
    const d = new SpikeDetector(CONFIG);
    const key1 = { scope, key, mean, variance, armed, lastFiredMinute: null, buckets };
    d.restore({ version: 1, closedMinute: null, keys: [key1] });
    const [k] = d.snapshot().keys;
    expect(k).toMatchObject({ learned: CONFIG.warmupItems, cusum: 0, volume: 0, rate: 0, rateMinute: null });
    expect(k!.run).toEqual({ total: 0, negative: 0, headlines: [], fromMinute: null });
  });

  it('rejects an unknown version, saying so', () => {
    const d = new SpikeDetector(CONFIG);
    const restore = () => d.restore({ ...d.snapshot(), version: 3 });
    expect(restore).toThrow(SnapshotError);
    expect(restore).toThrow(/unknown detector snapshot version 3: this build reads versions 1 \(or none\) to 2/);
  });

  it('rejects a malformed snapshot with where and why, and changes nothing', () => {
    const { d } = midSpike();
    const snap = JSON.parse(JSON.stringify(d.snapshot())) as { keys: Array<Record<string, unknown>> };
    const macro = snap.keys.findIndex((k) => k.key === 'Macro');
    snap.keys[macro]!.mean = '0.2';
    const fresh = new SpikeDetector(CONFIG);
    expect(() => fresh.restore(snap)).toThrow(
      `malformed detector snapshot (version 2): keys[${macro}] (topic:Macro).mean: ` +
        'Invalid input: expected number, received string',
    );
    expect(fresh.snapshot()).toEqual(new SpikeDetector(CONFIG).snapshot());
    // An unversioned one is judged as version 1; counts cannot be negative; not an object at all.
    expect(() => fresh.restore({ closedMinute: 1.5, keys: [{ ...UNVERSIONED_KEY, learned: -1 }] })).toThrow(
      /^malformed detector snapshot \(version 1\): closedMinute: .*; keys\[0\] \(topic:Macro\)\.learned: /,
    );
    expect(() => fresh.restore(null)).toThrow(/^malformed detector snapshot \(version 1\): \(root\): /);
  });
});
