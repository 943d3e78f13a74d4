/**
 * The window test: the negative share of a key's trailing minutes against its baseline,
 *   z = (share - baseline) / sqrt(baselineVariance + baseline * (1 - baseline) / n)
 * The second term is the sampling noise of a share over n items, so small windows need a larger jump (and the
 * count gets a continuity correction of half an item, for the same reason). The CUSUMs judge the run since
 * their estimated onset with the same statistic and the same bars (cusum.ts).
 */
import { binomialUpperTail, normalUpperTail } from '../stats.js';
import type { DetectorConfig } from './detector-config.js';
import type { KeyState } from './key-state.js';
import type { Bucket } from './snapshot.js';

/** The evidence one window (or CUSUM run) holds: weighted counts, share, z, and its most negative headlines. */
export interface Evidence {
  minutes: number;
  total: number;
  negative: number;
  share: number;
  z: number;
  headlines: Bucket['headlines'];
}

/** Share and z of `negative` out of `total` weighted items against the key's baseline. */
export function evidence(
  state: KeyState,
  minutes: number,
  total: number,
  negative: number,
  headlines: Bucket['headlines'],
): Evidence {
  const sd = Math.sqrt(state.variance + (state.mean * (1 - state.mean)) / Math.max(total, 1e-9));
  // Continuity correction: counts are discrete, and without it small windows fire on noise.
  const z = total > 0 ? (Math.max(0, negative - 0.5) / total - state.mean) / Math.max(sd, 1e-6) : 0;
  return { minutes, total, negative, share: total > 0 ? negative / total : 0, z, headlines };
}

/** Weighted counts and top headlines of the `minutes` minutes ending with `minute`. */
export function windowEvidence(state: KeyState, minute: number, minutes: number): Evidence {
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
  return evidence(state, minutes, total, negative, headlines);
}

/**
 * The windows judged at `minute`, in the order they are tried. The long window is steady; the short one
 * catches a large spike within a minute or two of its onset, before it dominates the long window (measured
 * in docs/alerts.md). The early look (`early`) also judges the open minute on its own: a spike that began
 * inside it is not diluted by the calm minutes before.
 */
export function windowsAt(state: KeyState, minute: number, c: DetectorConfig, early: boolean): Evidence[] {
  const windows = [windowEvidence(state, minute, c.windowMinutes)];
  if (c.shortWindowMinutes > 0 && c.shortWindowMinutes < c.windowMinutes) {
    windows.push(windowEvidence(state, minute, c.shortWindowMinutes));
  }
  if (early && c.shortWindowMinutes > 1) windows.push(windowEvidence(state, minute, 1));
  return windows;
}

/**
 * Whether `w` is evidence enough to fire: enough items, z and lift over the baseline, and, since
 * the normal z is not enough for small counts (the binomial tail is heavier), the exact binomial
 * tail probability of this many negatives as rare as `zThreshold` says.
 */
export function clearsBars(state: KeyState, w: Evidence, zThreshold: number, c: DetectorConfig): boolean {
  return (
    w.total >= c.minCount &&
    w.z >= zThreshold &&
    w.share - state.mean >= c.minLift &&
    binomialUpperTail(Math.round(w.negative), Math.round(w.total), state.mean) <= normalUpperTail(zThreshold)
  );
}
