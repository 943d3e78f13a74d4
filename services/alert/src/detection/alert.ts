/**
 * The alert a key's evidence turns into. Pure: the key's state changes on firing (markFired in key-state.ts)
 * are the detector's to make.
 */
import { createHash } from 'node:crypto';
import { SCHEMA_VERSION, type Alert } from '@finsent/shared';
import type { DetectorConfig } from './detector-config.js';
import { MINUTE, type KeyState } from './key-state.js';
import type { Evidence } from './window-test.js';

/**
 * Deterministic: the same spike on the same key and window always gets the same id, so a replayed stream
 * re-fires nothing new (delivery remembers the ids it has sent).
 */
export function alertId(scope: string, key: string, windowEndMs: number): string {
  return createHash('sha256').update(`${scope}\u0000${key}\u0000${windowEndMs}`).digest('hex').slice(0, 32);
}

/** The alert for evidence `w` that ends with `minute`, fired at `nowMs` (processing time). */
export function buildAlert(
  state: Pick<KeyState, 'scope' | 'key' | 'mean'>,
  minute: number,
  w: Evidence,
  nowMs: number,
  c: Pick<DetectorConfig, 'criticalZ'>,
): Alert {
  const windowEnd = (minute + 1) * MINUTE;
  const headlines = [...w.headlines].sort((x, y) => y.p - x.p);
  return {
    schema_version: SCHEMA_VERSION,
    id: alertId(state.scope, state.key, windowEnd),
    kind: 'negative_spike',
    scope: state.scope,
    key: state.key,
    severity: w.z >= c.criticalZ ? 'critical' : 'warning',
    window_start: new Date(windowEnd - w.minutes * MINUTE).toISOString(),
    window_end: new Date(windowEnd).toISOString(),
    negative_count: Math.round(w.negative * 100) / 100,
    total_count: Math.round(w.total * 100) / 100,
    negative_share: Math.round(w.share * 10_000) / 10_000,
    baseline_share: Math.round(state.mean * 10_000) / 10_000,
    z_score: Math.round(w.z * 100) / 100,
    headlines: headlines.slice(0, 5).map(({ id, title, url }) => ({ id, title, url })),
    fired_at: new Date(nowMs).toISOString(),
    delivery_state: 'pending',
    delivery_attempts: 0,
    delivery_error: null,
  };
}
