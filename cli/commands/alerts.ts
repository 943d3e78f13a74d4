/** finsent alerts: the recent alerts with their headlines, on the same read path as finsent query. */
import { isFormat, parseSince, printRows, withReadClient, type Row } from '../read-path.js';
import { parseCommand } from '../args.js';

const HELP = `Usage: finsent alerts [--since DURATION] [--limit N] [--format table|csv|json]

The alerts fired in the last DURATION (by the time they fired; default 1h; e.g. 30m, 6h, 2d, 1w), newest first:
when, severity, scope and key, negative share against the baseline, z-score, delivery state and the top headlines.
Reads the configured ClickHouse, or a running store's read-only endpoint (see finsent query --help).
  --limit N   at most N alerts (default 50)
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('alerts', HELP, {
    args: argv,
    options: {
      since: { type: 'string', default: '1h' },
      limit: { type: 'string', default: '50' },
      format: { type: 'string', default: 'table' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const since = parseSince(values.since!);
  const limit = Number(values.limit);
  if (since === undefined)
    return (
      process.stderr.write(`finsent alerts: --since ${values.since}: expected a duration such as 30m, 1h, 2d\n`),
      2
    );
  if (!Number.isInteger(limit) || limit < 1)
    return (process.stderr.write(`finsent alerts: --limit ${values.limit}: expected a positive integer\n`), 2);
  const format = values.format;
  if (!isFormat(format)) return (process.stderr.write('finsent alerts: --format must be table, csv or json\n'), 2);
  return withReadClient('alerts', async (client) => {
    const rows = await (
      await client.query({
        query: `SELECT formatDateTime(fired_at, '%Y-%m-%d %H:%i:%S') AS fired_utc, severity, scope, key,
                round(negative_share, 2) AS negative, round(baseline_share, 2) AS baseline, round(z_score, 2) AS z,
                formatDateTime(window_start, '%H:%i') || '–' || formatDateTime(window_end, '%H:%i') AS window_utc, delivery_state,
                arrayStringConcat(arrayMap(h -> JSONExtractString(h, 'title'), JSONExtractArrayRaw(headlines)), ' · ') AS headlines
              FROM v_alerts WHERE fired_at >= now() - INTERVAL {since:UInt32} SECOND ORDER BY fired_at DESC LIMIT {limit:UInt32}`,
        query_params: { since, limit },
        format: 'JSONEachRow',
      })
    ).json<Row>();
    if (rows.length === 0 && format === 'table') process.stdout.write(`no alert fired in the last ${values.since}\n`);
    else printRows(rows, format);
    return 0;
  });
}
