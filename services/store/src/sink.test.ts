/**
 * The sink on real Kafka and embedded ClickHouse: a scored item redelivered with different labels
 * (classify re-scored it after a crash) is stored and counted once, under its first labels; bad
 * messages are dead-lettered and the rest still lands; rows ClickHouse itself refuses are isolated and
 * dead-lettered while the rows around them are stored once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import {
  CONSUMER_GROUPS,
  DeadLetterSchema,
  ScoredItemSchema,
  TOPIC_NAMES,
  TOPIC_SPECS,
  TOPICS,
  SCHEMA_VERSION,
  createClickHouse,
  createKafkajsBus,
  type Bus,
  type BusConsumer,
  type BusProducer,
  type ClickHouseClient,
  type DeadLetter,
  type ScoredItem,
} from '@finsent/shared';
import { migrate } from './migrations.js';
import { storeMetrics } from './metrics.js';
import { ClickHouseSink } from './sink.js';
import { itemRow } from './rows.js';
import { isolatedBus } from '../../../test/support/isolated-bus.js';
import { brokers, tempDir, testLogger, waitFor } from '../../../test/support/env.js';

function scored(i: number, sentiment: ScoredItem['sentiment'], topic: ScoredItem['topic']): ScoredItem {
  const t = new Date(Date.UTC(2026, 10, 23, 9, i % 5)).toISOString();
  const p = { negative: 0.1, neutral: 0.1, positive: 0.1, [sentiment]: 0.8 } as ScoredItem['sentiment_scores'];
  return {
    schema_version: SCHEMA_VERSION,
    id: `${i}`.padStart(32, 'a'),
    source: 'test:sink',
    source_kind: 'replay',
    url: null,
    title: `t${i}`,
    text: `t${i}`,
    truncated: false,
    lang: 'en',
    published_at: t,
    fetched_at: t,
    tickers: [],
    duplicate_of: null,
    novelty: 1,
    entities: [],
    sentiment,
    sentiment_scores: p,
    topic,
    topic_scores: Object.fromEntries(TOPICS.map((x) => [x, x === topic ? 0.905 : 0.005])) as ScoredItem['topic_scores'],
    model_version: 'finsent-test',
    scored_at: t,
  };
}

describe('ClickHouseSink', () => {
  const dir = tempDir('sink');
  let client: ClickHouseClient;
  let bus: Bus;
  let producer: BusProducer;
  let sink: ClickHouseSink;
  let deadLetterConsumer: BusConsumer;
  const deadLetters: DeadLetter[] = [];
  const q = async (sql: string) =>
    await (await client.query({ query: sql, format: 'JSONEachRow' })).json<Record<string, unknown>>();

  beforeAll(async () => {
    client = (await createClickHouse({ dataPath: dir.path })).client;
    await migrate(client, { textTtlDays: 30 });
    bus = isolatedBus(
      createKafkajsBus({ brokers: [brokers()], clientId: 'sink-test', logger: testLogger('kafka') }),
      `sink-test-${Date.now()}`,
    );
    await bus.ensureTopics(TOPIC_SPECS);
    producer = await bus.producer();
    sink = new ClickHouseSink({
      bus,
      client,
      logger: testLogger('store'),
      metrics: storeMetrics(new Registry()),
      batchMax: 1000,
      batchWaitMs: 200,
    });
    await sink.start();
    deadLetterConsumer = await bus.consumer({
      groupId: `sink-test-dead-letters-${Date.now()}`,
      topics: [TOPIC_NAMES.deadLetter],
      maxWaitTimeMs: 100,
    });
    await deadLetterConsumer.run(async (batch) => {
      for (const m of batch) deadLetters.push(DeadLetterSchema.parse(JSON.parse(m.value!.toString())));
    });
  });
  afterAll(async () => {
    await deadLetterConsumer.close();
    await sink.stop();
    await producer.close();
    await client.close();
    dir.remove();
  });

  it('stores a redelivered item once, with its first labels, and counts it once in the trends', async () => {
    const first = Array.from({ length: 20 }, (_, i) => scored(i, 'neutral', 'Earnings'));
    await producer.send(
      TOPIC_NAMES.scored,
      first.map((s) => ({ key: s.id, value: JSON.stringify(s) })),
    );
    await waitFor('20 items stored', async () => Number((await q('SELECT count() AS n FROM items'))[0]!.n) === 20);
    // The same ids again with other labels, plus one copy twice in the same batch, plus one new item.
    const again = first.slice(0, 10).map((s) => ({
      ...s,
      sentiment: 'negative' as const,
      sentiment_scores: { negative: 0.8, neutral: 0.1, positive: 0.1 },
      topic: 'Markets' as const,
    }));
    const fresh = scored(99, 'positive', 'Dividend');
    await producer.send(
      TOPIC_NAMES.scored,
      [...again, again[0]!, fresh].map((s) => ({ key: s.id, value: JSON.stringify(s) })),
    );
    await waitFor(
      'the new item stored',
      async () => Number((await q(`SELECT count() AS n FROM items WHERE id = '${fresh.id}'`))[0]!.n) === 1,
    );
    expect(await q('SELECT toString(count()) AS n FROM items')).toEqual([{ n: '21' }]);
    expect(
      await q(
        "SELECT toString(countIf(sentiment = 'negative')) AS neg, toString(countIf(topic = 'Markets')) AS markets FROM v_items",
      ),
    ).toEqual([{ neg: '0', markets: '0' }]);
    expect(await q('SELECT toString(sum(total)) AS n FROM v_topic_sentiment_minute')).toEqual([{ n: '21' }]);
    // Score aggregates too: every stored item has p_negative 0.1; the re-scored copies (0.8) must not count.
    const avg = await q('SELECT avgMerge(p_negative) AS p FROM trend_topic_minute');
    expect(Number(avg[0]!.p)).toBeCloseTo(0.1, 5);
  });

  it('stores a backfill spanning more months than ClickHouse takes partitions in one insert', async () => {
    // 300 items, one per month from 2000 to 2024, in one send: the sink's batches then hold far
    // more than max_partitions_per_insert_block (100) months, which the engine refuses outright.
    const backfill = Array.from({ length: 300 }, (_, m) => ({
      ...scored(1000 + m, 'neutral', 'Macro'),
      published_at: new Date(Date.UTC(2000, m, 15)).toISOString(),
    }));
    await expect(
      client.insert({ table: 'items', values: backfill.slice(0, 101).map(itemRow), format: 'JSONEachRow' }),
    ).rejects.toThrow(/Too many partitions/);
    await producer.send(
      TOPIC_NAMES.scored,
      backfill.map((s) => ({ key: s.id, value: JSON.stringify(s) })),
    );
    await waitFor(
      'the whole backfill stored',
      async () =>
        Number(
          (await q("SELECT count() AS n FROM items WHERE topic = 'Macro' AND published_at < '2025-01-01'"))[0]!.n,
        ) === 300,
    );
    expect(
      await q(
        "SELECT toString(uniqExact(toYYYYMM(published_at))) AS months FROM items WHERE topic = 'Macro' AND published_at < '2025-01-01'",
      ),
    ).toEqual([{ months: '300' }]);
  });

  it('dead-letters a message that is not a scored item and keeps going', async () => {
    const ok = scored(200, 'negative', 'Macro');
    await producer.send(TOPIC_NAMES.scored, [
      { key: 'junk', value: '{"not":"an item"}' },
      { key: ok.id, value: JSON.stringify(ok) },
    ]);
    await waitFor(
      'the valid item after the junk',
      async () => Number((await q(`SELECT count() AS n FROM items WHERE id = '${ok.id}'`))[0]!.n) === 1,
    );
  });

  it('dead-letters rows ClickHouse refuses, stores the rows around them once, and keeps going', async () => {
    // Valid scored items that ClickHouse refuses: the contract does not check `duplicate_of` for lone
    // UTF-16 surrogates, JSON carries one as a bare \ud800 escape, and ClickHouse's JSON input
    // refuses that escape (code 25, CANNOT_PARSE_ESCAPE_SEQUENCE) on every try.
    const bad = [400, 401, 402].map((i) => ({
      ...scored(i, 'neutral', 'Energy | Oil'),
      duplicate_of: `${'b'.repeat(31)}\uD800x`,
    }));
    for (const b of bad) expect(ScoredItemSchema.safeParse(b).success).toBe(true);
    await expect(
      client.insert({ table: 'items', values: [itemRow(bad[0]!)], format: 'JSONEachRow' }),
    ).rejects.toMatchObject({ code: '25' });
    const good = Array.from({ length: 30 }, (_, i) => scored(410 + i, 'positive', 'Energy | Oil'));
    const batch = [...good.slice(0, 10), bad[0]!, ...good.slice(10, 20), bad[1]!, bad[2]!, ...good.slice(20)];
    await producer.send(
      TOPIC_NAMES.scored,
      batch.map((s) => ({ key: s.id, value: JSON.stringify(s) })),
    );

    const refused = await waitFor('the refused rows dead-lettered', async () => {
      const d = deadLetters.filter((x) => x.reason_code === 'rejected_by_clickhouse');
      return d.length >= bad.length && d;
    });
    expect(refused.map((d) => d.key).sort()).toEqual(bad.map((b) => b.id).sort());
    for (const d of refused) {
      expect(d).toMatchObject({ stage: 'store', source_topic: TOPIC_NAMES.scored, payload_truncated: false });
      expect(d.reason).toMatch(/^items: Cannot parse escape sequence/);
      // The original bytes, as published.
      expect(JSON.parse(Buffer.from(d.payload_base64, 'base64').toString())).toEqual(bad.find((b) => b.id === d.key));
    }
    await waitFor(
      'the good rows stored',
      async () =>
        Number((await q("SELECT count() AS n FROM items WHERE topic = 'Energy | Oil'"))[0]!.n) === good.length,
    );
    expect(
      await q("SELECT id, toString(count()) AS n FROM items WHERE topic = 'Energy | Oil' GROUP BY id ORDER BY id"),
    ).toEqual(
      good
        .map((g) => g.id)
        .sort()
        .map((id) => ({ id, n: '1' })),
    );
    expect(
      await q("SELECT toString(sum(total)) AS n FROM v_topic_sentiment_minute WHERE topic = 'Energy | Oil'"),
    ).toEqual([{ n: String(good.length) }]);

    // Offsets committed past the refused rows, and the next batch goes through.
    const later = scored(450, 'negative', 'Energy | Oil');
    await producer.send(TOPIC_NAMES.scored, [{ key: later.id, value: JSON.stringify(later) }]);
    await waitFor(
      'the later item stored',
      async () => Number((await q(`SELECT count() AS n FROM items WHERE id = '${later.id}'`))[0]!.n) === 1,
    );
    await waitFor(
      'store lag back to zero',
      async () => (await bus.lag(CONSUMER_GROUPS.store, TOPIC_NAMES.scored)) === 0,
    );
    expect(deadLetters.filter((x) => x.reason_code === 'rejected_by_clickhouse')).toHaveLength(bad.length);
  });
});
