/**
 * Each social adapter against a local server that speaks the platform's protocol (same paths,
 * query parameters, JSON shapes, headers and status codes), through the real ingest service and
 * Kafka (topics prefixed by isolatedBus). Asserts what lands on the raw and dead-letter topics.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { WebSocketServer } from 'ws';
import {
  DeadLetterSchema,
  RawItemSchema,
  TOPIC_NAMES,
  TOPIC_SPECS,
  createKafkajsBus,
  type DeadLetter,
  type RawItem,
} from '@finsent/shared';
import { loadIngestConfig, startIngest, type IngestService } from '@finsent/ingest';
import { isolatedBus } from './support/isolated-bus.js';
import { brokers, testLogger, waitFor } from './support/env.js';

const run = randomUUID().slice(0, 8);
const prefix = `ingest-social-${run}`;
const raw: RawItem[] = [];
const dead: DeadLetter[] = [];
let consumer: Consumer;

const bus = () =>
  isolatedBus(
    createKafkajsBus({ brokers: [brokers()], clientId: 'ingest-social-test', logger: testLogger('kafka') }),
    prefix,
  );

/** The ingest service with only the given sources on (no feeds, no persisted dedup). */
const startWith = (vars: Record<string, string>) =>
  startIngest(
    loadIngestConfig({
      KAFKA_BROKERS: brokers(),
      INGEST_PORT: '0',
      FEEDS_ENABLED: 'false',
      INGEST_DEDUP_PERSIST: 'false',
      SOCIAL_BACKOFF_BASE_MS: '50',
      ...vars,
    }),
    testLogger('ingest'),
    { bus: bus() },
  );

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

async function serve(handler: Handler) {
  const requests: Array<{ url: URL; headers: IncomingMessage['headers']; at: number }> = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push({ url, headers: req.headers, at: Date.now() });
    handler(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));

beforeAll(async () => {
  await bus().ensureTopics(TOPIC_SPECS);
  consumer = new Kafka({ clientId: 'ingest-social-probe', brokers: [brokers()], logLevel: logLevel.NOTHING }).consumer({
    groupId: prefix,
  });
  await consumer.connect();
  await consumer.subscribe({
    topics: [`${prefix}.${TOPIC_NAMES.raw}`, `${prefix}.${TOPIC_NAMES.deadLetter}`],
    fromBeginning: true,
  });
  await consumer.run({
    eachMessage: async ({ topic, message }) => {
      const value = JSON.parse(message.value!.toString());
      if (topic.endsWith(TOPIC_NAMES.raw)) raw.push(RawItemSchema.parse(value));
      else dead.push(DeadLetterSchema.parse(value));
    },
  });
}, 120_000);

afterAll(async () => {
  await consumer?.disconnect();
});

const from = (source: string) => raw.filter((i) => i.source === source);

describe('Reddit: /r/{sub}/new.json', () => {
  const post = (id: string, over: Record<string, unknown> = {}) => ({
    kind: 't3',
    data: {
      id,
      name: `t3_${id}`,
      title: `Reddit ${run} post ${id}: $TSLA deliveries beat`,
      selftext: 'Q3 deliveries came in above consensus.',
      permalink: `/r/stocks/comments/${id}/reddit_post_${id}/`,
      url: `https://www.reddit.com/r/stocks/comments/${id}/`,
      created_utc: Math.floor(Date.now() / 1000) - 600,
      subreddit: 'stocks',
      author: 'trader',
      over_18: false,
      stickied: false,
      ...over,
    },
  });
  const listing = (children: unknown[]) => ({
    kind: 'Listing',
    data: { after: null, before: null, dist: children.length, children },
  });
  let reddit: Awaited<ReturnType<typeof serve>>;
  let service: IngestService;

  beforeAll(async () => {
    let n = 0;
    reddit = await serve((_req, res, url) => {
      if (url.pathname !== '/r/stocks/new.json' || url.searchParams.get('limit') !== '100')
        return json(res, 404, { message: 'Not Found', error: 404 });
      n++;
      const old = [
        post('1b3', { stickied: true }),
        post('1b2', { over_18: true }),
        post('1b1'),
        { kind: 't3', data: { id: '1b0', title: null } },
      ];
      // 1: budget used up (reset in 1 s); 2: 429 anyway; 3+: one new post on top of the old ones.
      if (n === 1)
        return json(res, 200, listing(old), {
          'x-ratelimit-remaining': '0.0',
          'x-ratelimit-used': '100',
          'x-ratelimit-reset': '1',
        });
      if (n === 2)
        return json(
          res,
          429,
          { message: 'Too Many Requests', error: 429 },
          { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1' },
        );
      json(res, 200, listing([post('1b4'), ...old]), {
        'x-ratelimit-remaining': '98.0',
        'x-ratelimit-used': '2',
        'x-ratelimit-reset': '500',
      });
    });
    service = await startWith({
      REDDIT_SUBREDDITS: 'stocks',
      REDDIT_BASE_URL: reddit.base,
      REDDIT_POLL_INTERVAL_S: '0.05',
    });
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await reddit?.close();
  });

  it('publishes new posts once, skips stickied and NSFW ones, dead-letters malformed ones', async () => {
    await waitFor('reddit posts on the raw topic', async () => from('reddit:r/stocks').length >= 2, 30_000);
    await waitFor('a few more polls', async () => reddit.requests.length >= 5, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    const items = from('reddit:r/stocks');
    expect(items.map((i) => i.url).sort()).toEqual([
      'https://www.reddit.com/r/stocks/comments/1b1/reddit_post_1b1',
      'https://www.reddit.com/r/stocks/comments/1b4/reddit_post_1b4',
    ]);
    const item = items.find((i) => i.url!.includes('1b4'))!;
    expect(item).toMatchObject({
      source_kind: 'social',
      title: `Reddit ${run} post 1b4: $TSLA deliveries beat`,
      tickers: ['TSLA'],
    });
    expect(item.text).toContain('above consensus');
    await waitFor(
      'the malformed post dead-lettered',
      async () => dead.find((d) => d.key === 'reddit:r/stocks'),
      10_000,
    );
    const letters = dead.filter((d) => d.key === 'reddit:r/stocks');
    expect(letters).toHaveLength(1);
    const letter = letters[0]!;
    expect(letter.reason_code).toBe('invalid_social_post');
    expect(JSON.parse(Buffer.from(letter.payload_base64, 'base64').toString())).toEqual({
      kind: 't3',
      data: { id: '1b0', title: null },
    });
  });

  it('sends a descriptive User-Agent and waits out X-Ratelimit-Reset and 429s', async () => {
    const [first, second, third] = reddit.requests;
    expect(first!.headers['user-agent']).toMatch(/^node:finsent-ingest:/);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(third!.at - second!.at).toBeGreaterThanOrEqual(950);
    const metrics = await (await fetch(`${service.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /finsent_social_polls_total\{[^}]*source="reddit:r\/stocks"[^}]*outcome="rate_limited"[^}]*\} 1/,
    );
    expect(metrics).toMatch(/finsent_social_consecutive_failures\{[^}]*source="reddit:r\/stocks"[^}]*\} 0/);
  });
});

describe('Mastodon: /api/v1/timelines/tag/{tag}', () => {
  const TOKEN = 'mastodon-test-token';
  const status = (id: string, over: Record<string, unknown> = {}) => ({
    id,
    created_at: new Date(Date.now() - 300_000).toISOString(),
    in_reply_to_id: null,
    sensitive: false,
    spoiler_text: '',
    visibility: 'public',
    language: 'en',
    uri: `https://mastodon.example/users/ann/statuses/${id}`,
    url: `https://mastodon.example/@ann/${id}`,
    content: `<p>Mastodon ${run} status ${id}: <a href="https://mastodon.example/tags/stocks" class="mention hashtag" rel="tag">#<span>stocks</span></a> $AMD looks cheap &amp; oversold</p>`,
    reblog: null,
    account: { id: '1', username: 'ann', acct: 'ann' },
    media_attachments: [],
    mentions: [],
    tags: [{ name: 'stocks' }],
    ...over,
  });
  let mastodon: Awaited<ReturnType<typeof serve>>;
  let service: IngestService;
  const SOURCE = () => `mastodon:${new URL(mastodon.base).host}#stocks`;

  beforeAll(async () => {
    let failedOnce = false;
    mastodon = await serve((req, res, url) => {
      if (req.headers.authorization !== `Bearer ${TOKEN}`)
        return json(res, 401, { error: 'The access token is invalid' });
      if (url.pathname === '/api/v1/timelines/tag/broken') return json(res, 500, { error: 'Internal server error' });
      if (url.pathname !== '/api/v1/timelines/tag/stocks' || url.searchParams.get('limit') !== '40')
        return json(res, 404, { error: 'Record not found' });
      const since = url.searchParams.get('since_id');
      const headers = {
        'x-ratelimit-limit': '300',
        'x-ratelimit-remaining': '299',
        'x-ratelimit-reset': new Date(Date.now() + 300_000).toISOString(),
      };
      if (since === null)
        return json(
          res,
          200,
          [
            status('1003', { reblog: status('900') }),
            status('1002', { language: 'fr' }),
            { id: '1001', content: null },
            status('1000'),
          ],
          headers,
        );
      if (since === '1003' && !failedOnce) {
        failedOnce = true;
        return json(res, 503, { error: 'Service Unavailable' });
      }
      if (since === '1003') return json(res, 200, [status('1004')], headers);
      json(res, 200, [], headers);
    });
    service = await startWith({
      MASTODON_INSTANCE: mastodon.base,
      MASTODON_TAGS: '#stocks,broken',
      MASTODON_TOKEN: TOKEN,
      MASTODON_POLL_INTERVAL_S: '0.05',
    });
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await mastodon?.close();
  });

  it('publishes each new status once with its language, skipping boosts, while a failing tag backs off alone', async () => {
    await waitFor('mastodon statuses on the raw topic', async () => from(SOURCE()).length >= 3, 30_000);
    await waitFor(
      'polls after the last status',
      async () => mastodon.requests.filter((r) => r.url.searchParams.get('since_id') === '1004').length >= 2,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    const items = from(SOURCE());
    expect(items.map((i) => i.url).sort()).toEqual(
      ['1000', '1002', '1004'].map((id) => `https://mastodon.example/@ann/${id}`),
    );
    const fr = items.find((i) => i.url!.endsWith('1002'))!;
    expect(fr).toMatchObject({ source_kind: 'social', lang: 'fr', tickers: ['AMD'] });
    expect(fr.text).toBe(`Mastodon ${run} status 1002: #stocks $AMD looks cheap & oversold`);
    const letters = dead.filter((d) => d.key === SOURCE());
    expect(letters.map((d) => d.reason_code)).toEqual(['invalid_social_post']);
    const metrics = await (await fetch(`${service.opsUrl}/metrics`)).text();
    // SOCIAL_BACKOFF_BASE_MS=50: the broken tag was retried a few times, with growing delays, not at every 50 ms interval.
    const count = (tag: string) => mastodon.requests.filter((r) => r.url.pathname.endsWith(`/${tag}`)).length;
    expect(count('broken')).toBeLessThan(count('stocks'));
    const failures = metrics.match(
      /finsent_social_consecutive_failures\{[^}]*source="mastodon:[^"]+#broken"[^}]*\} (\d+)/,
    );
    expect(Number(failures?.[1])).toBeGreaterThanOrEqual(2);
    expect(metrics).toMatch(
      /finsent_social_polls_total\{[^}]*source="mastodon:[^"]+#stocks"[^}]*outcome="error"[^}]*\} 1/,
    );
  });
});

describe('Bluesky Jetstream: WebSocket /subscribe', () => {
  const DID = 'did:plc:finsenttest';
  let t = 1_725_911_162_000_000;
  const commit = (rkey: string, text: string) =>
    JSON.stringify({
      did: DID,
      time_us: ++t,
      kind: 'commit',
      commit: {
        rev: `rev${rkey}`,
        operation: 'create',
        collection: 'app.bsky.feed.post',
        rkey,
        record: {
          $type: 'app.bsky.feed.post',
          text,
          createdAt: new Date(Date.now() - 60_000).toISOString(),
          langs: ['en'],
        },
        cid: `bafy${rkey}`,
      },
    });
  const url = (rkey: string) => `https://bsky.app/profile/${DID}/post/${rkey}`;
  let server: WebSocketServer;
  const connections: URL[] = [];
  let service: IngestService;
  let cursorAtDrop = 0;

  beforeAll(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    server.on('connection', (ws, req) => {
      const u = new URL(req.url ?? '/', 'ws://localhost');
      connections.push(u);
      if (u.pathname !== '/subscribe' || u.searchParams.get('wantedCollections') !== 'app.bsky.feed.post')
        return ws.close(1008, 'bad request');
      if (connections.length === 1) {
        ws.send(commit(`a${run}`, `Jetstream ${run}: $NVDA guidance raised`));
        ws.send(commit(`b${run}`, 'lunch was great'));
        ws.send(commit(`c${run}`, `Jetstream ${run}: EARNINGS beat at the bank`));
        ws.send(
          JSON.stringify({
            did: DID,
            time_us: ++t,
            kind: 'commit',
            commit: { rev: 'r', operation: 'delete', collection: 'app.bsky.feed.post', rkey: `a${run}` },
          }),
        );
        ws.send(
          JSON.stringify({
            did: DID,
            time_us: ++t,
            kind: 'identity',
            identity: { did: DID, handle: 'x.bsky.social', seq: 1, time: new Date().toISOString() },
          }),
        );
        ws.send(
          JSON.stringify({
            did: DID,
            time_us: ++t,
            kind: 'commit',
            commit: {
              operation: 'create',
              collection: 'app.bsky.feed.post',
              rkey: `m${run}`,
              record: { createdAt: 'x' },
            },
          }),
        );
        cursorAtDrop = t;
        // Then the connection drops, as a relay restart would do it.
        setTimeout(() => ws.terminate(), 100);
        return;
      }
      ws.send(commit(`d${run}`, `Jetstream ${run}: $AAPL slips after the keynote`));
    });
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    service = await startWith({
      JETSTREAM_ENABLED: 'true',
      JETSTREAM_URL: `ws://127.0.0.1:${port}`,
      SOCIAL_KEYWORDS: 'earnings,rate cut',
      JETSTREAM_FLUSH_MS: '50',
    });
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('publishes posts with a cashtag or keyword, dead-letters malformed ones, resumes from the cursor after a drop', async () => {
    await waitFor(
      'bluesky posts on the raw topic',
      async () => from('bluesky:jetstream').filter((i) => i.text.includes(run)).length >= 3,
      30_000,
    );
    const items = from('bluesky:jetstream').filter((i) => i.text.includes(run));
    expect(items.map((i) => i.url).sort()).toEqual([url(`a${run}`), url(`c${run}`), url(`d${run}`)]);
    expect(items.find((i) => i.url === url(`a${run}`))).toMatchObject({
      source_kind: 'social',
      lang: 'en',
      tickers: ['NVDA'],
      text: `Jetstream ${run}: $NVDA guidance raised`,
    });
    expect(connections).toHaveLength(2);
    expect(connections[0]!.searchParams.has('cursor')).toBe(false);
    expect(connections[1]!.searchParams.get('cursor')).toBe(String(cursorAtDrop));
    await waitFor(
      'the malformed post dead-lettered',
      async () => dead.find((d) => d.key === 'bluesky:jetstream'),
      10_000,
    );
    const letter = dead.find((d) => d.key === 'bluesky:jetstream')!;
    expect(letter).toMatchObject({
      reason_code: 'invalid_social_post',
      reason: expect.stringMatching(/malformed Bluesky post: .*text/),
    });
    expect(JSON.parse(Buffer.from(letter.payload_base64, 'base64').toString()).commit.rkey).toBe(`m${run}`);
    const metrics = await (await fetch(`${service.opsUrl}/metrics`)).text();
    expect(metrics).toMatch(/finsent_social_stream_messages_total\{[^}]*outcome="unmatched"[^}]*\} 1/);
    expect(metrics).toMatch(
      /finsent_social_polls_total\{[^}]*source="bluesky:jetstream"[^}]*outcome="connected"[^}]*\} 2/,
    );
  });
});

describe('StockTwits: /api/2/streams/symbol/{SYMBOL}.json', () => {
  const message = (id: number) => ({
    id,
    body: `StockTwits ${run} msg ${id}: $AAPL holding the 200-day`,
    created_at: new Date(Date.now() - 120_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    user: { id: 42, username: 'chartist', name: 'Chart Ist' },
    source: { id: 1, title: 'StockTwits' },
    symbols: [{ id: 686, symbol: 'AAPL', title: 'Apple Inc.' }],
    entities: { sentiment: id % 2 ? { basic: 'Bullish' } : null },
  });
  const stream = (messages: unknown[]) => ({
    response: { status: 200 },
    symbol: { id: 686, symbol: 'AAPL', title: 'Apple Inc.' },
    cursor: { more: false, since: 0, max: 0 },
    messages,
  });
  let stocktwits: Awaited<ReturnType<typeof serve>>;
  let service: IngestService;

  beforeAll(async () => {
    let limited = false;
    stocktwits = await serve((_req, res, url) => {
      if (url.pathname !== '/api/2/streams/symbol/AAPL.json')
        return json(res, 404, { response: { status: 404 }, errors: [{ message: 'Symbol not found' }] });
      const since = url.searchParams.get('since');
      const headers = {
        'x-ratelimit-limit': '200',
        'x-ratelimit-remaining': '150',
        'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 3600),
      };
      if (since === null)
        return json(res, 200, stream([message(560000002), message(560000001), { id: 560000000, body: null }]), headers);
      if (since === '560000002' && !limited) {
        limited = true;
        return json(
          res,
          429,
          { response: { status: 429 }, errors: [{ message: 'Rate limit exceeded' }] },
          { ...headers, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Date.now() / 1000 + 1) },
        );
      }
      json(res, 200, stream(since === '560000002' ? [message(560000003)] : []), headers);
    });
    service = await startWith({
      STOCKTWITS_SYMBOLS: '$aapl',
      STOCKTWITS_BASE_URL: stocktwits.base,
      STOCKTWITS_POLL_INTERVAL_S: '0.05',
    });
  }, 60_000);

  afterAll(async () => {
    await service?.stop();
    await stocktwits?.close();
  });

  it('publishes each message once, waits out a 429 until X-RateLimit-Reset, dead-letters malformed messages', async () => {
    await waitFor('stocktwits messages on the raw topic', async () => from('stocktwits:$AAPL').length >= 3, 30_000);
    await waitFor(
      'polls after the last message',
      async () => stocktwits.requests.filter((r) => r.url.searchParams.get('since') === '560000003').length >= 2,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    const items = from('stocktwits:$AAPL');
    expect(items.map((i) => i.url).sort()).toEqual(
      [1, 2, 3].map((n) => `https://stocktwits.com/chartist/message/56000000${n}`),
    );
    expect(items[0]).toMatchObject({ source_kind: 'social', tickers: ['AAPL'] });
    const limitedAt = stocktwits.requests.findIndex((r) => r.url.searchParams.get('since') === '560000002');
    expect(stocktwits.requests[limitedAt + 1]!.at - stocktwits.requests[limitedAt]!.at).toBeGreaterThanOrEqual(900);
    await waitFor(
      'the malformed message dead-lettered',
      async () => dead.find((d) => d.key === 'stocktwits:$AAPL'),
      10_000,
    );
    expect(dead.filter((d) => d.key === 'stocktwits:$AAPL').map((d) => d.reason_code)).toEqual(['invalid_social_post']);
  });
});
