/** Integration: the analyst views of migration 2 on embedded ClickHouse, with hand-checked numbers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClickHouse,
  type Alert,
  type ClickHouseClient,
  type ScoredItem,
  SCHEMA_VERSION,
  TOPICS,
} from '@finsent/shared';
import { migrate } from './migrations.js';
import { alertRow, itemRow } from './rows.js';
import { tempDir } from '../../../test/support/env.js';

const T0 = Date.UTC(2026, 2, 2, 14, 0, 0);
const at = (minute: number, second = 0) => new Date(T0 + minute * 60_000 + second * 1000).toISOString();

let seq = 0;
interface ItemSpec {
  minute: number;
  topic: ScoredItem['topic'];
  negative: boolean;
  pNegative?: number;
  tickers?: string[];
  duplicateOf?: string;
}
function item({
  minute,
  topic,
  negative,
  pNegative = negative ? 0.9 : 0.05,
  tickers = [],
  duplicateOf,
}: ItemSpec): ScoredItem {
  const n = seq++;
  const t = at(minute, n % 60);
  return {
    schema_version: SCHEMA_VERSION,
    id: `item-${n}`,
    source: 'reuters',
    source_kind: 'rss',
    url: `https://news.example/${n}`,
    title: `${topic} headline ${n}`,
    text: `${topic} story ${n}`,
    truncated: false,
    lang: 'en',
    published_at: t,
    fetched_at: t,
    tickers,
    duplicate_of: duplicateOf ?? null,
    novelty: duplicateOf ? 0.1 : 1,
    entities: [],
    sentiment: negative ? 'negative' : 'neutral',
    sentiment_scores: { negative: pNegative, neutral: 1 - pNegative - 0.01, positive: 0.01 },
    topic,
    topic_scores: Object.fromEntries(TOPICS.map((x) => [x, x === topic ? 0.9 : 0.01])) as ScoredItem['topic_scores'],
    model_version: 'finsent-test',
    scored_at: t,
  };
}
/** `total` items of a topic in one minute, the first `negative` of them negative. */
const minuteOf = (
  minute: number,
  topic: ScoredItem['topic'],
  negative: number,
  total: number,
  tickers: string[] = [],
) => Array.from({ length: total }, (_, i) => item({ minute, topic, negative: i < negative, tickers }));

// Financials: minutes 0-5 alternate 1 and 2 negatives in 10 (shares .1/.2: mean .15, population stddev .05),
// then a spike of 8 in 10 at minute 6, and one more minute (62) whose 60-minute baseline holds minutes 2-6 only.
const shares = [1, 2, 1, 2, 1, 2];
const financials = [
  ...shares.flatMap((neg, m) => minuteOf(m, 'Financials', neg, 10, m === 0 ? ['JPM'] : [])),
  ...minuteOf(6, 'Financials', 8, 10, ['JPM', 'GS']),
  ...minuteOf(62, 'Financials', 1, 10),
];
const energy = minuteOf(6, 'Energy | Oil', 1, 4, ['XOM']);
const headlines = [
  item({ minute: 7, topic: 'Energy | Oil', negative: true, pNegative: 0.99, tickers: ['XOM'] }),
  item({ minute: 7, topic: 'Energy | Oil', negative: true, pNegative: 0.98, duplicateOf: 'item-0' }),
];
// One headline, two companies with opposite news: the whole text is negative, Acme's own sentiment positive.
const scores = (negative: number) => ({ negative, neutral: 0.05, positive: 0.95 - negative });
const mixed: ScoredItem = {
  ...item({ minute: 20, topic: 'Earnings', negative: true, tickers: ['ACME'] }),
  title: 'Acme beats estimates as Beta plunges',
  entities: [
    { name: 'Acme', ticker: 'ACME', start: 0, end: 4, sentiment: 'positive', sentiment_scores: scores(0.02) },
    { name: 'Beta', ticker: 'BETA', start: 24, end: 28, sentiment: 'negative', sentiment_scores: scores(0.9) },
    { name: 'estimates', ticker: null, start: 10, end: 19, sentiment: 'neutral', sentiment_scores: scores(0.1) },
  ],
};
const ITEMS = [...financials, ...energy, ...headlines, mixed];

const alert: Alert = {
  schema_version: SCHEMA_VERSION,
  id: 'alert-fin-6',
  kind: 'negative_spike',
  scope: 'topic',
  key: 'Financials',
  severity: 'critical',
  window_start: at(6),
  window_end: at(7),
  negative_count: 8,
  total_count: 10,
  negative_share: 0.8,
  baseline_share: 0.15,
  z_score: 13,
  headlines: [{ id: 'item-60', title: 'Financials headline 60', url: null }],
  fired_at: at(7),
  delivery_state: 'pending',
  delivery_attempts: 0,
  delivery_error: null,
};

describe('analyst views', () => {
  const dir = tempDir('views');
  let client: ClickHouseClient;
  // Unquoted 64-bit integers: a server quotes them by default, chdb does not; the test wants one shape.
  const q = async <T>(sql: string) =>
    await (
      await client.query({
        query: sql,
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
    ).json<T>();

  beforeAll(async () => {
    client = (await createClickHouse({ dataPath: dir.path })).client;
    await migrate(client, { textTtlDays: 3650 });
    // Everything twice, the alert with a later delivery state: the views must count each item once
    // and show the alert's latest state.
    for (let i = 0; i < 2; i++)
      await client.insert({ table: 'items', values: ITEMS.map(itemRow), format: 'JSONEachRow' });
    await client.insert({ table: 'alerts', values: [alertRow(alert)], format: 'JSONEachRow' });
    await client.insert({
      table: 'alerts',
      values: [alertRow({ ...alert, delivery_state: 'delivered', delivery_attempts: 1 })],
      format: 'JSONEachRow',
    });
  });
  afterAll(async () => {
    await client.close();
    dir.remove();
  });

  it('v_market_sentiment_minute sums all topics once', async () => {
    const rows = await q<{ negative: number; total: number; negative_share: number }>(
      `SELECT negative, total, negative_share FROM v_market_sentiment_minute WHERE minute = toDateTime('2026-03-02 14:06:00', 'UTC')`,
    );
    expect(rows).toEqual([{ negative: 9, total: 14, negative_share: 9 / 14 }]);
    const all = await q<{ n: number }>('SELECT sum(total) AS n FROM v_market_sentiment_minute');
    expect(all).toEqual([{ n: ITEMS.length }]);
  });

  it('v_item_entities has one row per entity of an item, with its own sentiment, once', async () => {
    const rows = await q<{
      entity: string;
      ticker: string | null;
      sentiment: string;
      item_sentiment: string;
      start: number;
    }>(
      `SELECT entity, ticker, sentiment, item_sentiment, start FROM v_item_entities WHERE id = '${mixed.id}' ORDER BY start`,
    );
    expect(rows).toEqual([
      { entity: 'Acme', ticker: 'ACME', sentiment: 'positive', item_sentiment: 'negative', start: 0 },
      { entity: 'estimates', ticker: null, sentiment: 'neutral', item_sentiment: 'negative', start: 10 },
      { entity: 'Beta', ticker: 'BETA', sentiment: 'negative', item_sentiment: 'negative', start: 24 },
    ]);
  });

  it("v_ticker_sentiment_minute counts an item under each of its tickers, with the ticker's own sentiment", async () => {
    const rows = await q<{ minute: string; ticker: string; negative: number; total: number }>(
      'SELECT minute, ticker, negative, total FROM v_ticker_sentiment_minute ORDER BY ticker, minute',
    );
    expect(rows).toEqual([
      { minute: '2026-03-02 14:20:00', ticker: 'ACME', negative: 0, total: 1 },
      { minute: '2026-03-02 14:20:00', ticker: 'BETA', negative: 1, total: 1 },
      { minute: '2026-03-02 14:06:00', ticker: 'GS', negative: 8, total: 10 },
      { minute: '2026-03-02 14:00:00', ticker: 'JPM', negative: 1, total: 10 },
      { minute: '2026-03-02 14:06:00', ticker: 'JPM', negative: 8, total: 10 },
      { minute: '2026-03-02 14:06:00', ticker: 'XOM', negative: 1, total: 4 },
      { minute: '2026-03-02 14:07:00', ticker: 'XOM', negative: 1, total: 1 },
    ]);
  });

  it('v_topic_negative_zscore scores a minute against the 60 minutes before it', async () => {
    type Z = {
      minute: string;
      topic: string;
      baseline_minutes: number;
      baseline_mean: number | null;
      baseline_stddev: number | null;
      z_score: number | null;
    };
    const rows = await q<Z>(
      `SELECT minute, topic, baseline_minutes, baseline_mean, baseline_stddev, z_score FROM v_topic_negative_zscore ORDER BY topic, minute`,
    );
    const fin = rows.filter((r) => r.topic === 'Financials');
    expect(fin.map((r) => r.baseline_minutes)).toEqual([0, 1, 2, 3, 4, 5, 6, 5]);
    // Fewer than 5 baseline minutes: no score.
    expect(fin.slice(0, 5).map((r) => r.z_score)).toEqual([null, null, null, null, null]);
    const spike = fin.find((r) => r.minute === '2026-03-02 14:06:00')!;
    expect(spike.baseline_mean).toBeCloseTo(0.15, 9);
    expect(spike.baseline_stddev).toBeCloseTo(0.05, 9);
    expect(spike.z_score).toBeCloseTo((0.8 - 0.15) / 0.05, 6);
    // Minute 62: minutes 0 and 1 fell out of the window; baseline is .1 .2 .1 .2 .8.
    const later = fin.at(-1)!;
    expect(later.minute).toBe('2026-03-02 15:02:00');
    expect(later.baseline_mean).toBeCloseTo(0.28, 9);
    expect(later.z_score).toBeLessThan(0);
    // A filter on minute must not cut the baseline (no pushdown below the window).
    const filtered = await q<Z>(
      `SELECT baseline_minutes, z_score FROM v_topic_negative_zscore WHERE topic = 'Financials' AND minute = toDateTime('2026-03-02 14:06:00', 'UTC')`,
    );
    expect(filtered.map((r) => r.baseline_minutes)).toEqual([6]);
    const energyRows = rows.filter((r) => r.topic === 'Energy | Oil');
    expect(energyRows.map((r) => [r.baseline_minutes, r.z_score])).toEqual([
      [0, null],
      [1, null],
    ]);
  });

  it('v_top_negative_headlines ranks negative stories by p_negative, without reprints', async () => {
    const rows = await q<{ title: string; url: string; topic: string; tickers: string[]; p_negative: number }>(
      'SELECT title, url, topic, tickers, p_negative FROM v_top_negative_headlines LIMIT 3',
    );
    expect(rows[0]).toMatchObject({
      title: headlines[0]!.title,
      url: headlines[0]!.url,
      topic: 'Energy | Oil',
      tickers: ['XOM'],
    });
    expect(rows[0]!.p_negative).toBeCloseTo(0.99, 5);
    expect(rows.map((r) => r.title)).not.toContain(headlines[1]!.title);
    const n = await q<{ n: number }>('SELECT count() AS n FROM v_top_negative_headlines');
    const negatives = ITEMS.filter((i) => i.sentiment === 'negative' && !i.duplicate_of).length;
    expect(n).toEqual([{ n: negatives }]);
  });

  it('v_alerts shows each alert once, in its latest delivery state', async () => {
    const rows = await q<{ key: string; delivery_state: string; z_score: number }>(
      'SELECT key, delivery_state, z_score FROM v_alerts',
    );
    expect(rows).toEqual([{ key: 'Financials', delivery_state: 'delivered', z_score: 13 }]);
  });
});
