/**
 * The reference detector of `finsent backtest --oracle`: what the best detector could do with perfect knowledge
 * of each key's pre-change parameters. It is told the generator's TRUE baseline (items per minute λ0 and negative
 * share p0, at every moment) and runs, per key, the CUSUM (Page's test) of the likelihood ratio of a marked Poisson
 * process: items arrive at λ0 with share p0 before a change, at λ1 = volumeRatio·λ0 with p1 = p0 + shiftSigma·σ
 * after it (σ = sqrt(p0(1-p0)/λ0), one minute's sampling sd). Between items S drains by (λ1 − λ0) per minute; an
 * item adds log(λ1/λ0) + log(p1/p0) if negative, log(λ1/λ0) + log((1-p1)/(1-p0)) if not. This is the optimal
 * test for that change (Lorden, Moustakides): no detector that sees only the items can be quicker on average
 * at the same false-alarm rate, if the change is that one. The spikes of the generator are not exactly that
 * change (their size varies, ticker spikes grow volume more), so it is a reference, not a strict bound.
 *
 * It shares the live detector's rules that are not statistics: reprints (novelty < 0.5) are not evidence, a key
 * waits `cooldownMinutes` after an alert, and a topic alert within `groupMinutes` of a market alert is not sent.
 */
import type { Alert } from '@finsent/shared';
import { SCHEMA_VERSION } from '@finsent/shared';
import { alertId, type Observation } from '../detector.js';
import type { StreamTruth } from './stream-generator.js';

export interface OracleConfig {
  /** Decision threshold of S (log-likelihood units); calibrated to the false-alarm budget by the backtest. */
  threshold: number;
  /** Design shift of the share, in sds of one minute's share at the key's true rate. */
  shiftSigma: number;
  /** Design rise of the volume (bad news brings stories). */
  volumeRatio: number;
  cooldownMinutes: number;
  groupMinutes: number;
}

export const DEFAULT_ORACLE_CONFIG: OracleConfig = {
  threshold: 8,
  shiftSigma: 3,
  volumeRatio: 2,
  cooldownMinutes: 30,
  groupMinutes: 5,
};

const MINUTE = 60_000;

interface OracleKey {
  /** The minute `llr` was worked out for (the truth moves slowly; once a minute is plenty). */
  minute: number;
  llr: ReturnType<typeof markedPoissonLlr> | null;
  baseline: number;
  s: number;
  lastMs: number;
  lastFiredMs: number;
  run: { total: number; negative: number };
}

/**
 * The log-likelihood ratio increments of one key at baseline (λ0 per minute, share p0): `drainPerMinute`, and the
 * jump of a negative and of another item.
 */
export function markedPoissonLlr(lambda0: number, p0: number, c: Pick<OracleConfig, 'shiftSigma' | 'volumeRatio'>) {
  const l0 = Math.max(1e-3, lambda0);
  const q0 = Math.min(0.99, Math.max(0.01, p0));
  const p1 = Math.min(0.99, q0 + c.shiftSigma * Math.sqrt((q0 * (1 - q0)) / l0));
  const volume = Math.log(c.volumeRatio);
  return {
    drainPerMinute: (c.volumeRatio - 1) * l0,
    negative: volume + Math.log(p1 / q0),
    other: volume + Math.log((1 - p1) / (1 - q0)),
  };
}

export class OracleDetector {
  private readonly keys = new Map<string, OracleKey>();
  private fired: Alert[] = [];
  private marketFiredMs = -Infinity;

  constructor(
    private readonly truth: StreamTruth,
    readonly config: OracleConfig = DEFAULT_ORACLE_CONFIG,
  ) {}

  observe(o: Observation, nowMs: number): void {
    const keys: Array<['market' | 'topic' | 'ticker', string]> = [];
    if (o.market) keys.push(['market', '*']);
    if (o.topic !== null) keys.push(['topic', o.topic]);
    for (const t of o.tickers) keys.push(['ticker', t]);
    for (const [scope, key] of keys) {
      const id = `${scope}:${key}`;
      let k = this.keys.get(id);
      if (!k)
        this.keys.set(
          id,
          (k = {
            minute: NaN,
            llr: null,
            baseline: 0,
            s: 0,
            lastMs: o.publishedAtMs,
            lastFiredMs: -Infinity,
            run: { total: 0, negative: 0 },
          }),
        );
      const minute = Math.floor(o.publishedAtMs / MINUTE);
      if (minute !== k.minute) {
        const base = this.truth(scope, key, minute * MINUTE + MINUTE / 2);
        [k.minute, k.llr, k.baseline] = [
          minute,
          base ? markedPoissonLlr(base.rate, base.share, this.config) : null,
          base?.share ?? 0,
        ];
      }
      const llr = k.llr;
      if (!llr) continue;
      const minutes = Math.min(60, Math.max(0, o.publishedAtMs - k.lastMs) / MINUTE);
      k.lastMs = Math.max(k.lastMs, o.publishedAtMs);
      k.s = Math.max(0, k.s - llr.drainPerMinute * minutes);
      if (k.s === 0) k.run = { total: 0, negative: 0 };
      if (o.novelty < 0.5) continue;
      if (o.publishedAtMs - k.lastFiredMs < this.config.cooldownMinutes * MINUTE) continue;
      k.s = Math.max(0, k.s + (o.negative ? llr.negative : llr.other));
      if (k.s === 0) continue;
      k.run.total++;
      if (o.negative) k.run.negative++;
      if (k.s < this.config.threshold) continue;
      k.s = 0;
      k.lastFiredMs = o.publishedAtMs;
      if (scope === 'market') this.marketFiredMs = o.publishedAtMs;
      const grouped = scope === 'topic' && o.publishedAtMs - this.marketFiredMs < this.config.groupMinutes * MINUTE;
      if (!grouped) this.fired.push(oracleAlert(scope, key, o.publishedAtMs, nowMs, k.run, k.baseline));
      k.run = { total: 0, negative: 0 };
    }
  }

  advance(_nowMs: number): Alert[] {
    const out = this.fired;
    this.fired = [];
    return out;
  }
}

function oracleAlert(
  scope: Alert['scope'],
  key: string,
  eventMs: number,
  nowMs: number,
  run: OracleKey['run'],
  baseline: number,
): Alert {
  const windowEnd = (Math.floor(eventMs / MINUTE) + 1) * MINUTE;
  return {
    schema_version: SCHEMA_VERSION,
    id: alertId(scope, key, windowEnd),
    kind: 'negative_spike',
    scope,
    key,
    severity: 'warning',
    window_start: new Date(windowEnd - MINUTE).toISOString(),
    window_end: new Date(windowEnd).toISOString(),
    negative_count: run.negative,
    total_count: run.total,
    negative_share: run.total > 0 ? Math.round((run.negative / run.total) * 10_000) / 10_000 : 0,
    baseline_share: Math.round(baseline * 10_000) / 10_000,
    z_score: 0,
    headlines: [],
    fired_at: new Date(nowMs).toISOString(),
    delivery_state: 'pending',
    delivery_attempts: 0,
    delivery_error: null,
  };
}
