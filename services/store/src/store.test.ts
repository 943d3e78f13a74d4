/** Integration: migrations and row mapping on the real (embedded) ClickHouse engine. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, type ClickHouseClient, type ScoredItem, SCHEMA_VERSION, TOPICS } from '@finsent/shared';
import { MIGRATIONS, migrate } from './migrations.js';
import { itemRow } from './rows.js';
import { tempDir } from '../../../test/support/env.js';

function scored(i: number, sentiment: ScoredItem['sentiment'], minute: number): ScoredItem {
  const t = new Date(Date.UTC(2026, 10, 23, 9, minute, i % 60)).toISOString();
  return {
    schema_version: SCHEMA_VERSION,
    id: i.toString(16).padStart(32, '0'),
    source: 'test',
    source_kind: 'replay',
    url: null,
    title: `headline ${i}`,
    text: `headline ${i}`,
    truncated: false,
    lang: 'en',
    published_at: t,
    fetched_at: t,
    tickers: i % 2 ? ['JPM'] : [],
    duplicate_of: null,
    novelty: 1,
    entities: [],
    sentiment,
    sentiment_scores: {
      negative: sentiment === 'negative' ? 0.9 : 0.05,
      neutral: 0.05,
      positive: sentiment === 'negative' ? 0.05 : 0.9,
    },
    topic: 'Financials',
    topic_scores: Object.fromEntries(
      TOPICS.map((x) => [x, x === 'Financials' ? 0.81 : 0.01]),
    ) as ScoredItem['topic_scores'],
    model_version: 'finsent-test',
    scored_at: t,
  };
}

describe('ClickHouse schema', () => {
  const dir = tempDir('store');
  let client: ClickHouseClient;
  const q = async <T>(sql: string) => await (await client.query({ query: sql, format: 'JSONEachRow' })).json<T>();

  beforeAll(async () => {
    client = (await createClickHouse({ dataPath: dir.path })).client;
  });
  afterAll(async () => {
    await client.close();
    dir.remove();
  });

  it('applies every migration once; running again is a no-op', async () => {
    expect(await migrate(client, { textTtlDays: 30 })).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(client, { textTtlDays: 30 })).toEqual([]);
    const tables = (await q<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase()')).map(
      (r) => r.name,
    );
    expect(tables).toEqual(
      expect.arrayContaining([
        'items',
        'trend_topic_minute',
        'trend_ticker_minute',
        'alerts',
        'model_versions',
        'v_items',
        'v_topic_sentiment_minute',
        'v_ticker_sentiment_hour',
      ]),
    );
  });

  it('counts a redelivered batch once in items and in the per-minute trends', async () => {
    const batch = [...Array.from({ length: 30 }, (_, i) => scored(i, i < 10 ? 'negative' : 'neutral', i % 3))];
    await client.insert({ table: 'items', values: batch.map(itemRow), format: 'JSONEachRow' });
    // At-least-once delivery: the same batch again (a crash before the offset commit), and half of it a third time.
    await client.insert({ table: 'items', values: batch.map(itemRow), format: 'JSONEachRow' });
    await client.insert({ table: 'items', values: batch.slice(0, 15).map(itemRow), format: 'JSONEachRow' });
    expect(await q<{ n: string }>('SELECT toString(count()) AS n FROM v_items')).toEqual([{ n: '30' }]);
    const trend = await q<{ total: string; negative: string }>(
      'SELECT toString(sum(total)) AS total, toString(sum(negative)) AS negative FROM v_topic_sentiment_minute',
    );
    expect(trend).toEqual([{ total: '30', negative: '10' }]);
    const perMinute = await q<{ minute: string; total: string }>(
      'SELECT minute, total FROM v_topic_sentiment_minute ORDER BY minute',
    );
    expect(perMinute.map((r) => Number(r.total))).toEqual([10, 10, 10]);
    const ticker = await q<{ ticker: string; total: string }>(
      'SELECT ticker, toString(sum(total)) AS total FROM v_ticker_sentiment_hour GROUP BY ticker',
    );
    expect(ticker).toEqual([{ ticker: 'JPM', total: '15' }]);
  });

  it('keeps labels and scores queryable', async () => {
    const rows = await q<{ topic: string; topic_score: number; s: number }>(
      "SELECT topic, topic_score, topic_scores['Financials'] AS s FROM v_items LIMIT 1",
    );
    expect(rows[0]).toMatchObject({ topic: 'Financials' });
    expect(rows[0]!.topic_score).toBeCloseTo(0.81, 5);
    expect(rows[0]!.s).toBeCloseTo(0.81, 5);
  });
});
