/**
 * finsent query "SQL" and finsent migrate, against whichever ClickHouse is configured
 * (CLICKHOUSE_URL, or the embedded database under FINSENT_DATA_DIR).
 */
import { errorLine, errorMessage, fileAccessIn, isConfigError, type ClickHouseClient } from '@finsent/shared';
import { loadStoreConfig, migrate, openClickHouse } from '@finsent/store';
import { isFormat, openForQuery, printRows, READONLY_REFUSED, type Row } from '../read-path.js';
import { parseCommand } from '../args.js';

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

const READS = /^\s*(\(?\s*select|with|show|describe|desc|explain|exists)\b/i;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('query', HELP, {
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: 'string', default: 'table' },
      param: { type: 'string', multiple: true },
      write: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const sql = positionals.join(' ').trim();
  if (!sql) return (process.stderr.write(`finsent query: no SQL given\n\n${HELP}`), 2);
  const format = values.format;
  if (!isFormat(format)) return (process.stderr.write('finsent query: --format must be table, csv or json\n'), 2);
  const params: Record<string, string> = {};
  for (const p of values.param ?? []) {
    const eq = p.indexOf('=');
    if (eq < 1) return (process.stderr.write(`finsent query: --param ${p}: expected name=value\n`), 2);
    params[p.slice(0, eq)] = p.slice(eq + 1);
  }
  let client: ClickHouseClient;
  try {
    client = await openForQuery(values.write ?? false);
  } catch (err) {
    process.stderr.write(`finsent query: ${errorLine(err)}\n`);
    return isConfigError(err) ? 2 : 1;
  }
  try {
    if (values.write && !READS.test(sql)) {
      await client.command({ query: sql, query_params: params });
      process.stdout.write('ok\n');
      return 0;
    }
    // readonly = 1 does not stop the scalar file() nor INTO OUTFILE: judged on the engine's own parse first.
    const refused = values.write ? undefined : await fileAccessIn(client, sql);
    if (refused) {
      process.stderr.write(
        `finsent query: refused, nothing changed: finsent query is read-only (${refused}; --write allows it)\n`,
      );
      return 2;
    }
    // Enforced by the engine, not by reading the SQL: stacked statements, INSERT INTO FUNCTION and table functions fail here.
    const settings = values.write ? {} : { readonly: '1' as const };
    const rs = await client.query({
      query: sql,
      query_params: params,
      format: 'JSONEachRow',
      clickhouse_settings: settings,
    });
    const rows = await rs.json<Row>();
    printRows(rows, format);
    return 0;
  } catch (err) {
    if (!values.write && (err as { code?: string }).code === READONLY_REFUSED) {
      process.stderr.write(
        `finsent query: refused, nothing changed: finsent query is read-only (writes, DDL, SYSTEM, settings and file/url table functions need --write)\n  ClickHouse: ${errorMessage(err)}\n`,
      );
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
    process.stdout.write(
      'Usage: finsent migrate\n\nApplies pending ClickHouse migrations (idempotent) to CLICKHOUSE_URL or the embedded database.\n',
    );
    return 0;
  }
  try {
    const config = loadStoreConfig();
    const ch = await openClickHouse(config);
    try {
      const applied = await migrate(ch.client, { textTtlDays: config.TEXT_TTL_DAYS });
      process.stdout.write(
        applied.length ? `applied migrations ${applied.join(', ')} to ${ch.target}\n` : `${ch.target} is up to date\n`,
      );
    } finally {
      await ch.client.close();
    }
    return 0;
  } catch (err) {
    process.stderr.write(`finsent migrate: ${errorLine(err)}\n`);
    return isConfigError(err) ? 2 : 1;
  }
}
