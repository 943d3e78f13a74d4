/** finsent ticker T: one company's sentiment by hour and its latest headlines, on the same read path as finsent query. */
import { TICKER_PATTERN } from '@finsent/shared';
import { isFormat, parseSince, printRows, withReadClient, type Row } from '../read-path.js';
import { parseCommand } from '../args.js';

const HELP = `Usage: finsent ticker TICKER [--since DURATION] [--headlines N] [--format table|csv|json]

TICKER's own sentiment (the entity-level label of each item that names it, not the whole item's) by hour over
the last DURATION of news time (default 1d; e.g. 6h, 7d, 4w), then its latest N headlines (default 10) with the
label the model gave that company in each. Reads the configured ClickHouse, or a running store's read-only
endpoint (see finsent query --help).
`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommand('ticker', HELP, {
    args: argv,
    allowPositionals: true,
    options: {
      since: { type: 'string', default: '1d' },
      headlines: { type: 'string', default: '10' },
      format: { type: 'string', default: 'table' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const ticker = positionals[0]?.toUpperCase();
  if (positionals.length !== 1 || !TICKER_PATTERN.test(ticker!))
    return (process.stderr.write(`finsent ticker: give one ticker symbol, such as JPM\n\n${HELP}`), 2);
  const since = parseSince(values.since!);
  const headlines = Number(values.headlines);
  if (since === undefined)
    return (
      process.stderr.write(`finsent ticker: --since ${values.since}: expected a duration such as 6h, 1d, 4w\n`),
      2
    );
  if (!Number.isInteger(headlines) || headlines < 0)
    return (process.stderr.write(`finsent ticker: --headlines ${values.headlines}: expected a whole number\n`), 2);
  const format = values.format;
  if (!isFormat(format)) return (process.stderr.write('finsent ticker: --format must be table, csv or json\n'), 2);
  return withReadClient('ticker', async (client) => {
    const params = { ticker, since, headlines };
    const hours = await (
      await client.query({
        query: `SELECT formatDateTime(hour, '%Y-%m-%d %H:00') AS hour_utc, total AS items, negative, round(negative_share, 2) AS negative_share
              FROM v_ticker_sentiment_hour WHERE ticker = {ticker:String} AND hour >= toStartOfHour(now() - INTERVAL {since:UInt32} SECOND) ORDER BY hour`,
        query_params: params,
        format: 'JSONEachRow',
      })
    ).json<Row>();
    const latest = await (
      await client.query({
        query: `SELECT formatDateTime(e.published_at, '%Y-%m-%d %H:%i') AS published_utc, e.sentiment AS sentiment, round(e.p_negative, 2) AS p_negative,
                i.title AS title, i.url AS url
              FROM v_item_entities AS e INNER JOIN v_items AS i USING id
              WHERE e.ticker = {ticker:String} AND e.published_at >= now() - INTERVAL {since:UInt32} SECOND
              ORDER BY e.published_at DESC LIMIT 1 BY e.id LIMIT {headlines:UInt32}`,
        query_params: params,
        format: 'JSONEachRow',
      })
    ).json<Row>();
    if (format === 'json')
      return (process.stdout.write(`${JSON.stringify({ ticker, hours, headlines: latest }, null, 2)}\n`), 0);
    if (hours.length === 0 && latest.length === 0 && format === 'table') {
      process.stdout.write(`no item named ${ticker} in the last ${values.since} of news time\n`);
      return 0;
    }
    if (format === 'table') process.stdout.write(`${ticker}: its own sentiment by hour (UTC)\n`);
    printRows(hours, format);
    if (format === 'table')
      process.stdout.write(`\n${ticker}: latest headlines, with the label the model gave ${ticker} in each\n`);
    printRows(latest, format);
    return 0;
  });
}
