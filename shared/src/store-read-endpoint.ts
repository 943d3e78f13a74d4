/**
 * How a reader finds and opens a running store's read-only endpoint (services/store/src/read-endpoint.ts): the
 * store writes its URL, token included, to `<FINSENT_DATA_DIR>/clickhouse-read.url` while it listens. The CLI's
 * analyst commands and the live view read the embedded database this way while the pipeline runs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';

/** Where a running store advertises the endpoint, relative to FINSENT_DATA_DIR. */
export const READ_URL_FILE = 'clickhouse-read.url';

/** The read endpoint a running store advertises for this data folder, if it answers (a crashed store leaves a stale file). */
export async function runningStoreEndpoint(dataDir: string): Promise<string | undefined> {
  let url: string;
  try {
    url = readFileSync(join(dataDir, READ_URL_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
  const ping = new URL('/ping', url);
  ping.username = ping.password = '';
  const alive = await fetch(ping, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.ok,
    () => false,
  );
  return alive ? url : undefined;
}

/** A client of the endpoint at `url` (credentials in the URL). Its own logger is off: callers report refusals. */
export function storeEndpointClient(url: string): ClickHouseClient {
  const target = new URL(url);
  const [username, password] = [decodeURIComponent(target.username), decodeURIComponent(target.password)];
  target.username = target.password = '';
  return createClient({
    url: target.toString().replace(/\/$/, ''),
    username,
    password,
    log: { level: ClickHouseLogLevel.OFF },
  });
}
