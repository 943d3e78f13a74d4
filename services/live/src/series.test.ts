import { describe, expect, it } from 'vitest';
import { BASELINE_MINUTES, latestFigures, shareSeries, type MinuteCounts } from './series.js';

const T0 = 1_800_000_000 - (1_800_000_000 % 300);

describe('shareSeries', () => {
  it('has one point per minute of the window, gaps where no item arrived', () => {
    const counts: MinuteCounts[] = [
      { t: T0, total: 4, negative: 1 },
      { t: T0 + 120, total: 2, negative: 2 },
    ];
    const s = shareSeries(counts, T0 + 120, 3, 1);
    expect(s.t).toEqual([T0, T0 + 60, T0 + 120]);
    expect(s.share).toEqual([0.25, null, 1]);
    expect(s.items).toEqual([4, 0, 2]);
  });

  it('weights the baseline by items over the trailing hour, the minute itself excluded', () => {
    // An hour of calm (10 items a minute, 1 negative), then a spike minute: its baseline stays at the calm share.
    const calm = Array.from({ length: BASELINE_MINUTES }, (_, i) => ({ t: T0 + i * 60, total: 10, negative: 1 }));
    const spike = { t: T0 + BASELINE_MINUTES * 60, total: 10, negative: 9 };
    const s = shareSeries([...calm, spike], spike.t, 2, 1);
    expect(s.share).toEqual([0.1, 0.9]);
    expect(s.baseline[1]).toBeCloseTo(0.1, 10);
    // The minute after the spike has the spike in its baseline, and the first calm minute has left the frame.
    const after = shareSeries([...calm, spike], spike.t + 60, 1, 1);
    expect(after.baseline[0]).toBeCloseTo((59 * 1 + 9) / 600, 10);
  });

  it('reads the hour before the window for the first minutes, and leaves out a baseline of too few items', () => {
    const before = { t: T0 - 30 * 60, total: 20, negative: 10 };
    const s = shareSeries([before, { t: T0, total: 1, negative: 0 }], T0, 1, 1);
    expect(s.baseline).toEqual([0.5]);
    expect(shareSeries([{ t: T0 - 60, total: 4, negative: 4 }], T0, 1, 1).baseline).toEqual([null]);
    // Older than an hour before the minute: outside the frame.
    expect(shareSeries([{ t: T0 - 61 * 60, total: 50, negative: 50 }], T0, 1, 1).baseline).toEqual([null]);
  });
});

describe('shareSeries in 5-minute steps', () => {
  it("sums each step's minutes, ends with the step holding the last minute, and reads only up to it", () => {
    const counts: MinuteCounts[] = [
      { t: T0, total: 2, negative: 0 },
      { t: T0 + 240, total: 2, negative: 2 }, // step T0: 2 of 4
      { t: T0 + 300, total: 1, negative: 1 }, // step T0+300: the window ends at its first minute
      { t: T0 + 360, total: 9, negative: 0 }, // after the end: not counted
    ];
    const s = shareSeries(counts, T0 + 300, 10);
    expect(s.step_minutes).toBe(5);
    expect(s.t).toEqual([T0, T0 + 300]);
    expect(s.items).toEqual([4, 1]);
    expect(s.share).toEqual([0.5, 1]);
    // The second step's baseline is the hour before it: the first step's 4 items are too few to be one.
    expect(s.baseline).toEqual([null, null]);
    expect(shareSeries([...counts, { t: T0 - 600, total: 6, negative: 0 }], T0 + 300, 10).baseline).toEqual([0, 0.2]);
  });
});

describe('latestFigures', () => {
  it('gives the item-weighted share of the last minutes and the latest baseline', () => {
    const s = { step_minutes: 1, t: [1, 2, 3], share: [1, null, 0.25], baseline: [null, 0.2, 0.3], items: [2, 0, 4] };
    expect(latestFigures(s, 2)).toEqual({ items: 4, share: 0.25, baseline: 0.3 });
    expect(latestFigures(s, 3)).toEqual({ items: 6, share: 0.5, baseline: 0.3 });
    expect(latestFigures({ step_minutes: 5, t: [], share: [], baseline: [], items: [] })).toEqual({
      items: 0,
      share: null,
      baseline: null,
    });
  });
});
