/**
 * Ingest on real parts: a local HTTP server serves an RSS feed, the ingest service publishes to
 * the test Kafka broker. Checks near-duplicates are marked, that a restarted service does not
 * republish what it published before (seen ids persisted in a compacted topic) and still knows its
 * headlines for near-duplicates, and the push endpoint over real HTTP.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { RawItemSchema, TOPIC_NAMES, createKafkajsBus, type RawItem } from '@finsent/shared';
import { loadIngestConfig, startIngest, type IngestService } from '@finsent/ingest';
import { isolatedBus } from './support/isolated-bus.js';
import { brokers, testLogger, waitFor } from './support/env.js';
import { rss, serveFeeds } from './support/rss.js';

const run = randomUUID().slice(0, 8);

const TOKEN = 'test-token-0123456789abcdef';
const base = `https://fixtures.example.com/ingest-${run}`;
const HEADLINES = [
  'Walmart raises full-year outlook after strong holiday start',
  'Deere cuts dividend to preserve cash',
  'UPDATE 1-Walmart raises full-year outlook after strong holiday start',
  'Verizon to switch off 3G network by March',
];

describe('ingest service: near-dups, restart-safe dedup, push endpoint', () => {
  const t0 = Date.now() - 60 * 60_000;
  const items = HEADLINES.map((title, i) => ({
    title,
    link: `${base}/feed/${i}`,
    description: title,
    pubDate: new Date(t0 + i * 60_000),
  }));
  let feeds: Awaited<ReturnType<typeof serveFeeds>>;
  let consumer: Consumer;
  const mine: RawItem[] = [];
  let service: IngestService | undefined;
  const prefix = `ingest-test-${run}`;
  const start = () =>
    startIngest(loadIngestConfig(env()), testLogger('ingest'), {
      bus: isolatedBus(
        createKafkajsBus({ brokers: [brokers()], clientId: 'ingest-test', logger: testLogger('kafka') }),
        prefix,
      ),
    });
  const env = () => ({
    KAFKA_BROKERS: brokers(),
    INGEST_PORT: '0',
    FEEDS: feeds.url('/feed.xml'),
    FEED_ALLOW_PRIVATE_HOSTS: '127.0.0.1',
    FEED_POLL_INTERVAL_S: '1',
    INGEST_TOKEN: TOKEN,
    INGEST_MAX_BODY_BYTES: '4096',
    INGEST_LANGUAGES: 'en',
  });

  beforeAll(async () => {
    feeds = await serveFeeds({ '/feed.xml': { body: rss('Ingest test wire', items) } });
    consumer = new Kafka({ clientId: 'ingest-test-probe', brokers: [brokers()], logLevel: logLevel.NOTHING }).consumer({
      groupId: `ingest-test-${run}`,
    });
    await consumer.connect();
    service = await start();
    await consumer.subscribe({ topic: `${prefix}.${TOPIC_NAMES.raw}`, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        mine.push(RawItemSchema.parse(JSON.parse(message.value!.toString())));
      },
    });
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await consumer?.disconnect();
    await feeds?.close();
  });

  const fromFeed = () => mine.filter((i) => i.url?.includes('/feed/'));

  it('publishes each feed item once and marks the reprint as a near-duplicate of the original', async () => {
    await waitFor('the feed items on the raw topic', async () => fromFeed().length >= items.length);
    const byTitle = Object.fromEntries(fromFeed().map((i) => [i.title, i]));
    const original = byTitle[HEADLINES[0]!]!;
    const reprint = byTitle[HEADLINES[2]!]!;
    expect(original.duplicate_of).toBeNull();
    expect(original.novelty).toBe(1);
    expect(reprint.duplicate_of).toBe(original.id);
    expect(reprint.novelty).toBeLessThan(0.5);
    expect(byTitle[HEADLINES[1]!]!.duplicate_of).toBeNull();
  });

  it('does not republish after a restart when the same feed is polled again', async () => {
    await service!.stop();
    service = undefined;
    const before = fromFeed().length;
    expect(before).toBe(items.length);
    service = await start();
    const hits = feeds.hits;
    await waitFor('two polls by the restarted service', async () => feeds.hits >= hits + 2, 30_000);
    // The probe consumer reads with ~100 ms latency: give anything republished time to arrive.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(fromFeed()).toHaveLength(before);
  });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${service!.opsUrl}/ingest`, {
      method: 'POST',
      body,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    });

  it('recognises a reprint of a story published before the restart (near-duplicate index restored)', async () => {
    const original = fromFeed().find((i) => i.title === HEADLINES[1])!;
    const reprint = { id: `reprint-${run}`, source: `reprint:${run}`, title: `UPDATE 2-${HEADLINES[1]}` };
    expect((await post(JSON.stringify([reprint]), {})).status).toBe(200);
    const published = await waitFor('the reprint on the raw topic', async () =>
      mine.find((i) => i.title === reprint.title),
    );
    expect(published.duplicate_of).toBe(original.id);
    expect(published.novelty).toBeLessThan(0.5);
  });

  it('accepts a JSON array with per-item errors, and counts a second push as duplicates', async () => {
    const batch = [
      {
        id: `p1-${run}`,
        source: `push:${run}`,
        title: 'Harborline Bancorp seeks emergency funding after deposit outflows',
      },
      { title: 'no id and no url' },
      'not an object',
      {
        url: `${base}/push/2`,
        source: `push:${run}`,
        text: 'Rio Tinto raises copper output guidance',
        published_at: new Date().toISOString(),
      },
    ];
    const first = await post(JSON.stringify(batch), {});
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({
      accepted: 2,
      duplicates: 0,
      filtered: 0,
      rejected: [
        { index: 1, error: 'needs an "id" or a "url" field' },
        { index: 2, error: 'not a JSON object' },
      ],
    });
    const again = await post(JSON.stringify(batch), {});
    expect(await again.json()).toMatchObject({ accepted: 0, duplicates: 2 });
    await waitFor(
      'pushed items on the raw topic',
      async () => mine.filter((i) => i.source === `push:${run}`).length === 2,
    );
    expect(mine.find((i) => i.source === `push:${run}` && i.url === null)?.source_kind).toBe('push');
  });

  it('leaves out items in a language not in INGEST_LANGUAGES, and says so', async () => {
    const res = await post(
      JSON.stringify([
        {
          id: `de-${run}`,
          source: `push:${run}`,
          title: 'Die Aktie der Bank fällt nach der Gewinnwarnung für das Jahr',
        },
        {
          id: `en-${run}`,
          source: `push:${run}`,
          title: 'Shares of the bank fall after the profit warning for the year',
        },
      ]),
      {},
    );
    expect(await res.json()).toMatchObject({ accepted: 1, filtered: 1, duplicates: 0 });
    await waitFor('the English item on the raw topic', async () =>
      mine.some((i) => i.title.startsWith('Shares of the bank fall')),
    );
    expect(mine.find((i) => i.title.startsWith('Shares of the bank fall'))?.lang).toBe('en');
    expect(mine.some((i) => i.title.startsWith('Die Aktie'))).toBe(false);
  });

  it('accepts NDJSON, reporting a bad line by its index', async () => {
    const body = [
      JSON.stringify({ id: `n1-${run}`, source: `push:${run}`, title: 'Iron ore climbs as steel mills restock' }),
      '{"broken',
      '',
    ].join('\n');
    const res = await post(body, { 'content-type': 'application/x-ndjson' });
    const json = (await res.json()) as { accepted: number; rejected: Array<{ index: number; error: string }> };
    expect(res.status).toBe(200);
    expect(json.accepted).toBe(1);
    expect(json.rejected.map((r) => r.index)).toEqual([1]);
    expect(json.rejected[0]!.error).toMatch(/^invalid JSON/);
  });

  it('refuses a missing or wrong token (401), other content types (415) and malformed bodies (400)', async () => {
    expect(
      (
        await fetch(`${service!.opsUrl}/ingest`, {
          method: 'POST',
          body: '[]',
          headers: { 'content-type': 'application/json' },
        })
      ).status,
    ).toBe(401);
    expect((await post('[]', { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await post('[]', { authorization: 'Basic abc' })).status).toBe(401);
    expect((await post('title=x', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await post('{"not": "an array"}', {})).status).toBe(400);
  });

  it('answers 413 to a body over the limit, declared or streamed, without reading it all', async () => {
    expect((await post(' '.repeat(10_000), {})).status).toBe(413);
    // Chunked upload with no declared length: the server must stop at the limit.
    const url = new URL(`${service!.opsUrl}/ingest`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-ndjson' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      const line = `${JSON.stringify({ id: 'x', title: 'x'.repeat(500) })}\n`;
      let sent = 0;
      const pump = () => {
        // Far more than the limit, if the server kept reading: the 413 must come first.
        while (sent < 200 && req.write(line)) sent++;
        if (sent < 200) req.once('drain', pump);
        else req.end();
      };
      pump();
    });
    expect(status).toBe(413);
  });
});
