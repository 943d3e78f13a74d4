import { z } from 'zod';
import { commonConfigShape, env, loadConfig } from '@finsent/shared';

export const liveConfigSchema = z.object({
  LOG_LEVEL: commonConfigShape.LOG_LEVEL,
  OPS_HOST: commonConfigShape.OPS_HOST,
  KAFKA_BROKERS: commonConfigShape.KAFKA_BROKERS.describe(
    'where corrections made on the page go (finsent.corrections.v1)',
  ),
  LIVE_PORT: env.port(9405).describe('port of the live view, its JSON API, /metrics and /healthz'),
  LIVE_REFRESH_MS: env
    .int(2_000, 250, 600_000)
    .describe('how often a view is read from ClickHouse while someone watches it'),
  LIVE_HISTORY_HOURS: env.int(6, 1, 168).describe('hours of trend shown, ending at the newest item'),
  LIVE_MAX_VIEWERS: env.int(100, 1, 10_000).describe('open live connections at most; more are answered 503'),
  LIVE_CORRECTIONS: env.bool(true).describe('let analysts correct labels from the page (docs/analysts.md, Live view)'),
  LIVE_CORRECTIONS_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe('bearer token the page must send with a correction; required beyond loopback'),
  CLICKHOUSE_URL: env
    .optionalUrl()
    .describe("ClickHouse server; unset = the running store's read endpoint under FINSENT_DATA_DIR"),
  CLICKHOUSE_USER: z.string().optional().describe('ClickHouse server user; unset: default'),
  CLICKHOUSE_PASSWORD: z.string().optional().describe('ClickHouse server password (a secret: never logged)'),
  CLICKHOUSE_DATABASE: z.string().optional().describe('ClickHouse server database; unset: default'),
  FINSENT_DATA_DIR: env
    .str('.finsent/data')
    .describe('where the store with the embedded ClickHouse advertises its read endpoint'),
});
export type LiveConfig = z.infer<typeof liveConfigSchema>;

export const loadLiveConfig = (e: Record<string, string | undefined> = process.env) =>
  loadConfig('live', liveConfigSchema, e);
