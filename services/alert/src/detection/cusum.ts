/**
 * The two CUSUMs each key runs on its items as they arrive, alongside the minute windows. They adapt to the
 * onset of a spike instead of waiting for minutes to fill, which is what detection within two minutes on a
 * low-volume key needs:
 *   - the share CUSUM (Bernoulli): is the negative share above the baseline?
 *   - the share-and-volume CUSUM (marked Poisson): are stories coming faster, and more of them negative?
 * Each returns the evidence to fire on (its run since the estimated onset, which must clear the window bars
 * too) or null; the detector does the firing, so that both share its guards and its suppression of topics.
 */
import type { DetectorConfig } from './detector-config.js';
import { rateNow } from './baseline.js';
import { emptyRun, keepTopHeadline, MINUTE, type KeyState, type Observation } from './key-state.js';
import type { Run } from './snapshot.js';
import { clearsBars, evidence, type Evidence } from './window-test.js';

/**
 * The rise of the volume the share-and-volume CUSUM is tuned to: bad news brings stories. Measured
 * (docs/alerts.md) against a rise of k Poisson sds (1 + k/√λ0: 2–4): as many spikes caught, more false alarms
 * on quiet keys, where that design asks for a five-fold rise and a few items close together look like one.
 */
export const RATE_CUSUM_VOLUME_RATIO = 2;

/**
 * Items below this novelty are reprints: the same story again, not fresh evidence. Dozens of near-weightless
 * copies would otherwise add up in a statistic that never forgets.
 */
const MIN_EVIDENCE_WEIGHT = 0.5;

/**
 * The share-and-volume CUSUM's increments for a key at `rate` items a minute and baseline share `mean`: the
 * drain per minute between items, and what a negative and another item add (log-likelihood ratios of a marked
 * Poisson process, the change being RATE_CUSUM_VOLUME_RATIO× the volume and the share CUSUM's shift of the share).
 */
export function volumeCusumLlr(rate: number, mean: number, c: Pick<DetectorConfig, 'minLift' | 'cusumShiftSigma'>) {
  const lambda0 = Math.max(0.05, rate);
  const p0 = Math.min(0.99, Math.max(0.01, mean));
  const sigma1 = Math.sqrt((p0 * (1 - p0)) / Math.max(1, lambda0));
  const p1 = Math.min(0.99, p0 + Math.max(c.minLift, c.cusumShiftSigma * sigma1));
  const volume = Math.log(RATE_CUSUM_VOLUME_RATIO);
  return {
    drainPerMinute: (RATE_CUSUM_VOLUME_RATIO - 1) * lambda0,
    negative: volume + Math.log(p1 / p0),
    other: volume + Math.log((1 - p1) / (1 - p0)),
  };
}

/**
 * One item into the key's share CUSUM (Page's test): S = max(0, S + w * llr), where llr is the log-likelihood
 * ratio of the item under the shifted share p1 against the baseline p0. Evidence once S reaches cusumThreshold
 * (after warm-up) and the run since the estimated onset clears the same bars as a window.
 */
export function shareCusumStep(
  state: KeyState,
  o: Observation,
  weight: number,
  minute: number,
  c: DetectorConfig,
): Evidence | null {
  if (c.cusumThreshold <= 0 || state.learned < c.warmupItems || weight < MIN_EVIDENCE_WEIGHT) return null;
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
  const w = runEvidence(state, state.run, minute);
  return clearsBars(state, w, c.cusumMinZ, c) ? w : null;
}

/**
 * One item into the key's share-and-volume CUSUM: Page's test on the likelihood ratio of a marked Poisson
 * process (volumeCusumLlr). Before a change, items come at the key's usual rate λ0 with its baseline share p0;
 * after it, at RATE_CUSUM_VOLUME_RATIO·λ0 with the share shifted as the share CUSUM's (p1). Between items the
 * statistic drains by (ratio − 1)·λ0 per minute of event time; each item adds log(ratio) plus its share term.
 * It uses what the share test ignores, how fast the stories come, and weighs it against their sentiment, as
 * the oracle of the backtest does with the true λ0 and p0. Evidence under the same guards as the share CUSUM,
 * once the run since its onset shows a raised share (rateCusumShareZ): more news at the usual share is not
 * bad news.
 */
export function volumeCusumStep(
  state: KeyState,
  o: Observation,
  weight: number,
  minute: number,
  c: DetectorConfig,
): Evidence | null {
  if (c.rateCusumThreshold <= 0 || state.learned < c.warmupItems || state.rateMinute === null) return null;
  const llr = volumeCusumLlr(rateNow(state, c), state.mean, c);
  // Partitions interleave, so event time can step back a little: never drain for negative time.
  const elapsedMinutes = Math.max(0, o.publishedAtMs - state.rateCusumAtMs) / MINUTE;
  state.rateCusumAtMs = Math.max(state.rateCusumAtMs, o.publishedAtMs);
  state.rateCusum = Math.max(0, state.rateCusum - llr.drainPerMinute * Math.min(elapsedMinutes, 24 * 60));
  if (state.rateCusum === 0) state.rateRun = emptyRun();
  // The drain above applies to reprints too (time passed); only their evidence does not count.
  if (weight < MIN_EVIDENCE_WEIGHT) return null;
  state.rateCusum = Math.max(0, state.rateCusum + weight * (o.negative ? llr.negative : llr.other));
  if (state.rateCusum === 0) {
    state.rateRun = emptyRun();
    return null;
  }
  extendRun(state.rateRun, o, weight, minute);
  if (state.rateCusum < c.rateCusumThreshold) return null;
  const w = runEvidence(state, state.rateRun, minute);
  return w.total < c.minCount || w.z < c.rateCusumShareZ ? null : w;
}

/** Adds one item to a CUSUM's run since its estimated onset. */
function extendRun(run: Run, o: Observation, weight: number, minute: number): void {
  run.fromMinute ??= minute;
  run.total += weight;
  if (o.negative) {
    run.negative += weight;
    keepTopHeadline(run.headlines, o);
  }
}

/** Share and z of a CUSUM's run since its estimated onset, up to `minute`. */
function runEvidence(state: KeyState, run: Run, minute: number): Evidence {
  const firstMinute = Math.min(run.fromMinute ?? minute, minute);
  return evidence(state, minute - firstMinute + 1, run.total, run.negative, run.headlines);
}
