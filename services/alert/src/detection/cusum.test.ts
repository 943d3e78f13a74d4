import { describe, expect, it } from 'vitest';
import { RATE_CUSUM_VOLUME_RATIO, volumeCusumLlr } from './cusum.js';
import { DEFAULT_DETECTOR_CONFIG } from './detector-config.js';

describe('share-and-volume CUSUM', () => {
  it('increments: no drift at the usual rate and share, a climb at doubled volume and a raised share', () => {
    const c = DEFAULT_DETECTOR_CONFIG;
    const llr = volumeCusumLlr(4, 0.2, c);
    expect(llr.drainPerMinute).toBeCloseTo((RATE_CUSUM_VOLUME_RATIO - 1) * 4, 9);
    const perMinute = (rate: number, share: number) =>
      rate * (share * llr.negative + (1 - share) * llr.other) - llr.drainPerMinute;
    expect(perMinute(4, 0.2)).toBeLessThan(0);
    expect(perMinute(8, 0.2)).toBeLessThan(perMinute(8, 0.6)); // the share still matters at the same volume
    expect(perMinute(8, 0.6)).toBeGreaterThan(1);
    // A key's rate estimate can be a third low (the morning ramp) without the usual traffic drifting up.
    expect(perMinute(4 * 1.3, 0.2)).toBeLessThan(0);
  });
});
