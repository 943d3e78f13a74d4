/**
 * How the CLI reads ClickHouse for analysts (`finsent query`, `finsent alerts`, `finsent ticker`): the configured
 * server, the embedded database, or a running store's read-only endpoint; rows printed as a table, CSV or JSON.
 */
import {
  FinsentError,
  errorMessage,
  runningStoreEndpoint,
  storeEndpointClient,
  type ClickHouseClient,
} from '@finsent/shared';
import { loadStoreConfig, openClickHouse } from '@finsent/store';

/** ClickHouse's READONLY error: the statement would write, change settings or reach outside the database. */
export const READONLY_REFUSED = '164';

/**
 * The configured ClickHouse: a server, the embedded database, or, when a running store holds the embedded one,
 * that store's read-only endpoint (services/store/src/read-endpoint.ts).
 */
export async function openForQuery(write: boolean): Promise<ClickHouseClient> {
  const config = loadStoreConfig();
  const endpoint = config.CLICKHOUSE_URL ? undefined : await runningStoreEndpoint(config.FINSENT_DATA_DIR);
  if (!endpoint) return (await openClickHouse(config)).client;
  if (write)
    throw new FinsentError(
      'FINSENT_ERR_CLICKHOUSE_LOCKED',
      `the embedded ClickHouse is held by a running store, whose SQL endpoint (${endpoint}) is read-only: stop the pipeline to write`,
    );
  return storeEndpointClient(endpoint);
}

export type Row = Record<string, unknown>;

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function formatTable(rows: Row[]): string {
  if (rows.length === 0) return '(no rows)\n';
  const cols = Object.keys(rows[0]!);
  const width = (c: string) => Math.min(80, Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const widths = cols.map(width);
  const line = (vals: string[]) =>
    vals.map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v.padEnd(widths[i]!))).join(' │ ');
  return (
    [
      line(cols),
      widths.map((w) => '─'.repeat(w)).join('─┼─'),
      ...rows.map((r) => line(cols.map((c) => cell(r[c])))),
    ].join('\n') + `\n(${rows.length} rows)\n`
  );
}

export function formatCsv(rows: Row[]): string {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]!);
  const q = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [cols.map(q).join(','), ...rows.map((r) => cols.map((c) => q(cell(r[c]))).join(','))].join('\n') + '\n';
}

export const FORMATS = ['table', 'csv', 'json'] as const;
export type Format = (typeof FORMATS)[number];
export const isFormat = (v: string | undefined): v is Format => FORMATS.includes(v as Format);

/** Runs a shortcut's queries on the read path: the client is closed whatever happens, a failure is exit 1. */
export async function withReadClient(
  command: string,
  work: (client: ClickHouseClient) => Promise<number>,
): Promise<number> {
  const client = await openForQuery(false);
  try {
    return await work(client);
  } catch (err) {
    process.stderr.write(`finsent ${command}: ${errorMessage(err)}\n`);
    return 1;
  } finally {
    await client.close();
  }
}

export function printRows(rows: Row[], format: Format): void {
  process.stdout.write(
    format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : format === 'csv' ? formatCsv(rows) : formatTable(rows),
  );
}

/** `90s`, `30m`, `1h`, `2d`, `1w` → seconds; undefined for anything else. */
export function parseSince(value: string): number | undefined {
  const m = /^(\d+)\s*([smhdw])$/.exec(value.trim());
  if (!m || Number(m[1]) === 0) return undefined;
  return Number(m[1]) * { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w'];
}
