import { z } from 'zod';
import { commonConfigShape, env, loadConfig } from '@finsent/shared';
import { DEFAULT_DETECTOR_CONFIG as D, type DetectorConfig } from './detector.js';

export const alertConfigSchema = z.object({
  ...commonConfigShape,
  ALERT_PORT: env.port(9404).describe('port of /metrics and /healthz'),
  ALERT_WEBHOOK_URL: env.optionalUrl().describe('generic webhook receiving each alert as JSON'),
  SLACK_WEBHOOK_URL: env.optionalUrl().describe('Slack incoming webhook (secret: never logged)'),
  GRAFANA_URL: env.optionalUrl().describe('dashboard linked from Slack messages'),
  ALERT_ROUTES_FILE: z
    .string()
    .min(1)
    .optional()
    .describe('routing file (YAML): receivers and routes by scope, key, severity, watchlist; docs/alerts.md'),
  ALERT_WEBHOOK_SECRET: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe('HMAC-SHA256 signing key'),
  ALERT_DELIVERY_ATTEMPTS: env.int(8, 1, 100).describe('attempts per receiver before an alert is recorded as failed'),
  ALERT_DELIVERY_TIMEOUT_MS: env.int(10_000, 100, 120_000).describe('timeout of one delivery attempt'),
  ALERT_WINDOW_MINUTES: env.int(D.windowMinutes, 1, 1_440).describe('long trailing window of the window test'),
  ALERT_SHORT_WINDOW_MINUTES: env
    .int(D.shortWindowMinutes, 0, 1_440)
    .describe('short trailing window, for large spikes (0 = off)'),
  ALERT_EARLY_EXTRA_Z: env
    .num(D.earlyExtraZ, -1, 20)
    .describe('extra z to fire on the minute still filling; < 0 turns the early look off'),
  ALERT_MIN_COUNT: env
    .int(D.minCount, 1, 1_000_000)
    .describe('novelty-weighted items a window needs before it can fire'),
  ALERT_Z_THRESHOLD: env
    .num(D.zThreshold, 0.5, 20)
    .describe('z of the negative share over its baseline that fires a warning'),
  ALERT_CRITICAL_Z: env.num(D.criticalZ, 0.5, 50).describe('z from which an alert is critical'),
  ALERT_MIN_LIFT: env.num(D.minLift, 0, 1).describe('least rise of the negative share over its baseline that can fire'),
  ALERT_COOLDOWN_MINUTES: env.int(D.cooldownMinutes, 0, 10_080).describe('minutes a key stays quiet after it fired'),
  ALERT_LATENESS_S: env
    .int(D.latenessMs / 1000, 0, 3_600)
    .describe('how late an item may arrive and still count in its minute'),
  ALERT_IDLE_FLUSH_S: env
    .int(D.idleFlushMs / 1000, 1, 3_600)
    .describe('after this long without items, every minute seen is evaluated'),
  ALERT_BASELINE_ALPHA: env.num(D.baselineAlpha, 0.0001, 1).describe('weight of one item in the baseline EWMA'),
  ALERT_PRIOR_SHARE: env.num(D.priorShare, 0, 1).describe('negative share a new key starts its baseline from'),
  ALERT_WARMUP_ITEMS: env
    .int(D.warmupItems, 0, 1_000_000)
    .describe('items a key must have learnt its baseline from before it can fire'),
  ALERT_CUSUM_THRESHOLD: env
    .num(D.cusumThreshold, 0, 1_000)
    .describe('CUSUM decision threshold (log-likelihood); 0 turns the CUSUM off'),
  ALERT_CUSUM_SHIFT_SIGMA: env
    .num(D.cusumShiftSigma, 0.5, 20)
    .describe('shift the CUSUM is tuned to, in sds of one minute of the key'),
  ALERT_CUSUM_MIN_Z: env
    .num(D.cusumMinZ, 0, 20)
    .describe('z the items since the estimated onset must reach for the CUSUM to fire'),
  ALERT_RATE_CUSUM_THRESHOLD: env
    .num(D.rateCusumThreshold, 0, 1_000)
    .describe('share-and-volume CUSUM decision threshold (log-likelihood); 0 turns it off'),
  ALERT_RATE_CUSUM_SHARE_Z: env
    .num(D.rateCusumShareZ, 0, 20)
    .describe('z of the negative share the items since its onset must also reach'),
});
export type AlertConfig = z.infer<typeof alertConfigSchema>;

export const loadAlertConfig = (e: Record<string, string | undefined> = process.env) =>
  loadConfig('alert', alertConfigSchema, e);

export function detectorConfig(c: AlertConfig): DetectorConfig {
  return {
    ...D,
    windowMinutes: c.ALERT_WINDOW_MINUTES,
    shortWindowMinutes: c.ALERT_SHORT_WINDOW_MINUTES,
    earlyExtraZ: c.ALERT_EARLY_EXTRA_Z,
    minCount: c.ALERT_MIN_COUNT,
    zThreshold: c.ALERT_Z_THRESHOLD,
    criticalZ: c.ALERT_CRITICAL_Z,
    minLift: c.ALERT_MIN_LIFT,
    cooldownMinutes: c.ALERT_COOLDOWN_MINUTES,
    latenessMs: c.ALERT_LATENESS_S * 1000,
    idleFlushMs: c.ALERT_IDLE_FLUSH_S * 1000,
    baselineAlpha: c.ALERT_BASELINE_ALPHA,
    priorShare: c.ALERT_PRIOR_SHARE,
    warmupItems: c.ALERT_WARMUP_ITEMS,
    cusumThreshold: c.ALERT_CUSUM_THRESHOLD,
    cusumShiftSigma: c.ALERT_CUSUM_SHIFT_SIGMA,
    cusumMinZ: c.ALERT_CUSUM_MIN_Z,
    rateCusumThreshold: c.ALERT_RATE_CUSUM_THRESHOLD,
    rateCusumShareZ: c.ALERT_RATE_CUSUM_SHARE_Z,
  };
}
