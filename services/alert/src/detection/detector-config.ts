/**
 * The detector's tunables and their defaults. The service reads them from ALERT_* settings (../config.ts); the
 * backtest passes its own. Every default here is the one measured in docs/alerts.md.
 */
import type { Alert } from '@finsent/shared';

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
   * marked Poisson CUSUM on its items' arrivals and sentiment together: a burst of stories, mostly negative,
   * is evidence even while the share alone, over few items, is not yet conclusive.
   */
  rateCusumThreshold: number;
  /** z of the negative share the items since its onset must also reach: more negative news, not just more news. */
  rateCusumShareZ: number;
  latenessMs: number;
  partitionIdleMs: number;
  idleFlushMs: number;
  scopes: Array<Alert['scope']>;
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
