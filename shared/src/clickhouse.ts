/**
 * One way to get a ClickHouse client, used by the store service and the CLI.
 *
 * - `CLICKHOUSE_URL` set: a ClickHouse server (or cluster entry point) over HTTP. Any number of
 *   processes and hosts can share it; this is how the pipeline scales past one machine.
 * - unset: embedded ClickHouse (chdb, in-process) with its data in `dataPath`. An embedded
 *   database belongs to one process at a time; opening it twice fails with
 *   FINSENT_ERR_CLICKHOUSE_LOCKED.
 * Both speak the same SQL through @clickhouse/client.
 */
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { mkdirSync } from 'node:fs';
import { FinsentError, errorMessage } from './errors.js';

export type { ClickHouseClient };

export interface ClickHouseOptions {
  /** Server URL, e.g. http://127.0.0.1:8123. Unset: embedded chdb. */
  url?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  database?: string | undefined;
  /** Folder of the embedded database. Ignored with `url`. */
  dataPath: string;
}

export async function createClickHouse(
  opts: ClickHouseOptions,
): Promise<{ client: ClickHouseClient; mode: 'server' | 'embedded'; target: string }> {
  if (opts.url) {
    const client = createClient({
      url: opts.url,
      username: opts.username ?? 'default',
      password: opts.password ?? '',
      database: opts.database ?? 'default',
      request_timeout: 30_000,
      clickhouse_settings: { async_insert: 0, wait_end_of_query: 1 },
    });
    const target = new URL(opts.url);
    target.password = '';
    target.username = '';
    return { client, mode: 'server', target: target.toString() };
  }
  mkdirSync(opts.dataPath, { recursive: true });
  // chdb is loaded lazily: server deployments never load the native addon.
  const { createChdbConnection } = await import('chdb/connection');
  let connection;
  try {
    connection = createChdbConnection({ path: opts.dataPath });
  } catch (err) {
    const detail = errorMessage((err as { cause?: unknown }).cause ?? err);
    const locked = /Cannot lock file|already running/i.test(detail);
    throw new FinsentError(
      locked ? 'FINSENT_ERR_CLICKHOUSE_LOCKED' : 'FINSENT_ERR_CLICKHOUSE_OPEN',
      locked
        ? `embedded ClickHouse at ${opts.dataPath} is open in another process (the store service of a running pipeline?). ` +
            'Stop it, or run a ClickHouse server and set CLICKHOUSE_URL so several processes can share it.'
        : `cannot open embedded ClickHouse at ${opts.dataPath}: ${detail}`,
      { cause: err },
    );
  }
  // The connection type comes from @clickhouse/client-common; chdb implements it verbatim.
  const client = createClient({ connection } as unknown as Parameters<typeof createClient>[0]);
  return { client, mode: 'embedded', target: opts.dataPath };
}

/**
 * A second, read-only session on an embedded database this process already holds. chdb allows several sessions
 * on one path in one process, and settings belong to a session: `readonly = 1` is set once here and can never be
 * lifted on it, so the engine refuses any statement that writes, changes settings or reaches files or the network.
 * (Setting it per query would not do: chdb applies query settings with SET on the session, which would leave the
 * writer's session read-only.)
 */
export async function openEmbeddedReader(dataPath: string): Promise<ClickHouseClient> {
  const { createChdbConnection } = await import('chdb/connection');
  const client = createClient({ connection: createChdbConnection({ path: dataPath }) } as unknown as Parameters<
    typeof createClient
  >[0]);
  // Limits first (they can no longer be set once readonly is): the reader runs in the store's process, where one
  // unbounded scan would take the memory the inserts need.
  await client.command({
    query: 'SELECT 1',
    clickhouse_settings: {
      max_execution_time: 60,
      max_memory_usage: '2000000000',
      max_result_bytes: '268435456',
      result_overflow_mode: 'throw',
      readonly: '1',
    },
  });
  return client;
}

/**
 * Why a statement reaches the file system although `readonly = 1` (or undefined when it does not): ClickHouse's
 * readonly mode refuses table functions but not the scalar `file()` nor `INTO OUTFILE`, which embedded chdb runs
 * without a user_files_path. Judged on the engine's own formatting of the statement (`formatQuery`), so comments,
 * case and spacing cannot hide either.
 */
export async function fileAccessIn(client: ClickHouseClient, sql: string): Promise<string | undefined> {
  let formatted: string;
  try {
    const rows = await (
      await client.query({
        query: 'SELECT formatQuery({q:String}) AS f',
        query_params: { q: sql },
        format: 'JSONEachRow',
      })
    ).json<{ f: string }>();
    formatted = rows[0]?.f ?? '';
  } catch {
    // Several statements (chdb would run them all) or none it can parse: not judged, so not run.
    return 'not one statement that ClickHouse can parse';
  }
  const code = formatted.replace(/'(?:[^'\\]|\\.)*'/g, "''"); // string literals say nothing about what runs
  if (/\bINTO\s+OUTFILE\b/i.test(code)) return 'INTO OUTFILE writes a file';
  if (/\bfile\s*\(/i.test(code)) return 'file() reads a file';
  return undefined;
}
