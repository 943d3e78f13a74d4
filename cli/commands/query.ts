/**
 * finsent query "SQL" and finsent migrate, against whichever ClickHouse is configured
 * (CLICKHOUSE_URL, or the embedded database under FINSENT_DATA_DIR).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { FinsentError, errorMessage, type ClickHouseClient } from '@finsent/shared';
import { READ_URL_FILE, loadStoreConfig, migrate, openClickHouse } from '@finsent/store';

const HELP = `Usage: finsent query "SQL" [--format table|csv|json] [--param name=value ...] [--write]

Runs one SQL statement against the configured ClickHouse and prints the result. Use ClickHouse
query parameters for values: finsent query "SELECT * FROM v_items WHERE topic = {t:String} LIMIT 5" --param t=Earnings
Read-only unless --write: the engine itself (ClickHouse's readonly setting) refuses writes, DDL, SYSTEM, settings
changes and table functions that reach files or the network (file(), url(), …); such a statement exits 2.
Analyst views (docs/analysts.md): v_items, v_topic_sentiment_minute, v_market_sentiment_minute,
v_ticker_sentiment_minute, v_ticker_sentiment_hour, v_topic_negative_zscore, v_top_negative_headlines, v_alerts.
Target: CLICKHOUSE_URL (server) or the embedded database under FINSENT_DATA_DIR (default .finsent/data); while a
store runs on that database (finsent start), its read-only SQL endpoint answers instead.
`;

/**
 * The configured ClickHouse: a server, the embedded database, or, when a running store holds the embedded one,
 * that store's read-only endpoint (services/store/src/read-endpoint.ts).
 */
async function openForQuery(write: boolean): Promise<ClickHouseClient> {
  const config = loadStoreConfig();
  const endpoint = config.CLICKHOUSE_URL ? undefined : await runningStoreEndpoint(config.FINSENT_DATA_DIR);
  if (!endpoint) return (await openClickHouse(config)).client;
  if (write) throw new FinsentError('FINSENT_ERR_CLICKHOUSE_LOCKED', `the embedded ClickHouse is held by a running store, whose SQL endpoint (${endpoint}) is read-only: stop the pipeline to write`);
  // The client's own logger would print every refused statement as an ERROR with a stack; the CLI reports it.
  return createClient({ url: endpoint, log: { level: ClickHouseLogLevel.OFF } });
}

/** The read endpoint a running store advertises for this data folder, if it answers (a crashed store leaves a stale file). */
async function runningStoreEndpoint(dataDir: string): Promise<string | undefined> {
  let url: string;
  try {
    url = readFileSync(join(dataDir, READ_URL_FILE), 'utf8').trim();
  } catch {
    return undefined;
  }
  const alive = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
  return alive ? url : undefined;
}

type Row = Record<string, unknown>;

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

export function formatTable(rows: Row[]): string {
  if (rows.length === 0) return '(no rows)\n';
  const cols = Object.keys(rows[0]!);
  const width = (c: string) => Math.min(80, Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const widths = cols.map(width);
  const line = (vals: string[]) => vals.map((v, i) => (v.length > widths[i]! ? `${v.slice(0, widths[i]! - 1)}…` : v.padEnd(widths[i]!))).join(' │ ');
  return [line(cols), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n') + `\n(${rows.length} rows)\n`;
}

export function formatCsv(rows: Row[]): string {
  if (rows.length === 0) return '';
  const cols = Object.keys(rows[0]!);
  const q = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [cols.map(q).join(','), ...rows.map((r) => cols.map((c) => q(cell(r[c]))).join(','))].join('\n') + '\n';
}

const READS = /^\s*(\(?\s*select|with|show|describe|desc|explain|exists)\b/i;
/** ClickHouse's READONLY error: the statement would write, change settings or reach outside the database. */
const READONLY_REFUSED = '164';

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { format: { type: 'string', default: 'table' }, param: { type: 'string', multiple: true }, write: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  } catch (err) {
    process.stderr.write(`finsent query: ${errorMessage(err)}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) return process.stdout.write(HELP), 0;
  const sql = positionals.join(' ').trim();
  if (!sql) return process.stderr.write(`finsent query: no SQL given\n\n${HELP}`), 2;
  if (!['table', 'csv', 'json'].includes(values.format!)) return process.stderr.write('finsent query: --format must be table, csv or json\n'), 2;
  const params: Record<string, string> = {};
  for (const p of values.param ?? []) {
    const eq = p.indexOf('=');
    if (eq < 1) return process.stderr.write(`finsent query: --param ${p}: expected name=value\n`), 2;
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  let client: ClickHouseClient;
  try {
    client = await openForQuery(values.write ?? false);
  } catch (err) {
    process.stderr.write(`finsent query: ${errorMessage(err)}\n`);
    return 1;
  }
  try {
    if (values.write && !READS.test(sql)) {
      await client.command({ query: sql, query_params: params });
      process.stdout.write('ok\n');
      return 0;
    }
    // Enforced by the engine, not by reading the SQL: stacked statements, INSERT INTO FUNCTION and file() all fail here.
    const settings = values.write ? {} : { readonly: '1' as const };
    const rs = await client.query({ query: sql, query_params: params, format: 'JSONEachRow', clickhouse_settings: settings });
    const rows = await rs.json<Row>();
    process.stdout.write(values.format === 'json' ? `${JSON.stringify(rows, null, 2)}\n` : values.format === 'csv' ? formatCsv(rows) : formatTable(rows));
    return 0;
  } catch (err) {
    if (!values.write && (err as { code?: string }).code === READONLY_REFUSED) {
      process.stderr.write(`finsent query: refused, nothing changed: finsent query is read-only (writes, DDL, SYSTEM, settings and file/url table functions need --write)\n  ClickHouse: ${errorMessage(err)}\n`);
      return 2;
    }
    process.stderr.write(`finsent query: ${errorMessage(err)}\n`);
    return 1;
  } finally {
    await client.close();
  }
}

export async function runMigrate(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write('Usage: finsent migrate\n\nApplies pending ClickHouse migrations (idempotent) to CLICKHOUSE_URL or the embedded database.\n');
    return 0;
  }
  try {
    const config = loadStoreConfig();
    const ch = await openClickHouse(config);
    try {
      const applied = await migrate(ch.client, { textTtlDays: config.TEXT_TTL_DAYS });
      process.stdout.write(applied.length ? `applied migrations ${applied.join(', ')} to ${ch.target}\n` : `${ch.target} is up to date\n`);
    } finally {
      await ch.client.close();
    }
    return 0;
  } catch (err) {
    process.stderr.write(`finsent migrate: ${errorMessage(err)}\n`);
    return 1;
  }
}
