/**
 * What a key's tests are judged against, learnt from its own history: the negative share (EWMA mean and
 * variance, with a warm-up), the items per minute with data (the share CUSUM's design shift) and the item rate
 * over time (the share-and-volume CUSUM's baseline). All learn from the minute that just left the window,
 * never from the window being judged, so the first minutes of a spike cannot teach the baseline that they are
 * normal; and none learns while the key looks unusual or is in alert: a spike must not raise its own bar.
 */
import type { DetectorConfig } from './detector-config.js';
import type { KeyState } from './key-state.js';

/** EWMA weight of one minute in a key's item rate: about the last 20 minutes, which follows the daily cycle. */
const RATE_ALPHA = 0.05;
/** Holt trend weight: the rate ramps up every morning, and a level that lags the ramp underestimates it. */
const RATE_TREND_BETA = 0.02;

/**
 * Folds the minute leaving the window into the share baseline (not while the key is in alert, i.e.
 * disarmed). Mean: count-weighted EWMA of the negative share. Variance: EWMA of the window share's excess
 * over pure sampling noise.
 */
export function learnShare(state: KeyState, minute: number, c: DetectorConfig): void {
  if (!state.armed) return;
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
 * seen once an hour has a rate of 1/60, not 1). `frozen`: the minute is accounted for but not
 * learnt from (the key looks unusual or is in alert).
 */
export function learnRate(state: KeyState, minute: number, frozen: boolean, c: DetectorConfig): void {
  const leavingMinute = minute - c.windowMinutes;
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

/** The item rate projected to now: it is learnt from the minute leaving the window, so add the trend since. */
export function rateNow(state: KeyState, c: DetectorConfig): number {
  return Math.max(state.rate * 0.5, state.rate + state.rateTrend * (c.windowMinutes + 0.5));
}
