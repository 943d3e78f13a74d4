import { z } from 'zod';
import { commonConfigShape, env, loadConfig } from '@finsent/shared';

export const storeConfigSchema = z.object({
  ...commonConfigShape,
  STORE_PORT: env.port(9403).describe('port of /metrics and /healthz'),
  STORE_SQL_PORT: env
    .port(9413)
    .describe(
      'read-only ClickHouse-HTTP endpoint of the embedded database, on 127.0.0.1 only; not served with CLICKHOUSE_URL',
    ),
  CLICKHOUSE_URL: env.optionalUrl().describe('ClickHouse server; unset = embedded chdb under FINSENT_DATA_DIR'),
  CLICKHOUSE_USER: z.string().optional().describe('ClickHouse server user; unset: default'),
  CLICKHOUSE_PASSWORD: z.string().optional().describe('ClickHouse server password (a secret: never logged)'),
  CLICKHOUSE_DATABASE: z.string().optional().describe('ClickHouse server database; unset: default'),
  FINSENT_DATA_DIR: env
    .str('.finsent/data')
    .describe('the embedded ClickHouse lives in <dir>/clickhouse; its read endpoint is advertised here'),
  STORE_BATCH_MAX: env.int(5_000, 1, 1_000_000).describe('rows per insert at most'),
  STORE_BATCH_WAIT_MS: env.int(250, 0, 60_000).describe('longest a row waits for its insert'),
  TEXT_TTL_DAYS: env.int(90, 1, 36_500).describe('days item text is kept'),
});
export type StoreConfig = z.infer<typeof storeConfigSchema>;

export const loadStoreConfig = (e: Record<string, string | undefined> = process.env) =>
  loadConfig('store', storeConfigSchema, e);
