/**
 * End to end on real parts: a local HTTP server serves an RSS feed → ingest → Kafka → classify
 * (the shipped ONNX model) → Kafka → store → embedded ClickHouse, and alert → a local webhook
 * receiver that checks the HMAC signature. Poison messages injected on the raw topic must end up
 * on the dead-letter topic with their reason while valid items keep flowing. The live view, read in a real
 * headless Chromium, draws the charts and the alert and follows new items as they are stored.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { TOPICS, TOPIC_NAMES, DeadLetterSchema, type RunningService } from '@finsent/shared';
import { loadIngestConfig, startIngest } from '@finsent/ingest';
import { inSample, loadClassifyConfig, startClassify } from '@finsent/classify';
import { loadStoreConfig, startStore, type StoreService } from '@finsent/store';
import { loadAlertConfig, startAlert } from '@finsent/alert';
import { loadLiveConfig, startLive, type LiveService } from '@finsent/live';
import { startWebhookSink, type WebhookSink } from '../devkit/webhook-sink.js';
import { artifactPath, launchChromium } from './support/browser.js';
import { brokers, tempDir, testLogger, waitFor } from './support/env.js';
import { rss, serveFeeds } from './support/rss.js';
import { MIXED, buildFeed } from './support/e2e-feed.js';

/** The finsent command, as an analyst runs it beside the pipeline; its stdout. */
const cli = async (args: string[], env: Record<string, string>) =>
  (
    await promisify(execFile)(process.execPath, [new URL('../bin/finsent.mjs', import.meta.url).pathname, ...args], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    })
  ).stdout;

describe('pipeline end to end', () => {
  const dir = tempDir('e2e');
  const secret = 'e2e-test-secret-0123456789';
  const start = Date.now() - 3 * 60 * 60_000;
  const feed = buildFeed(start);
  let feeds: Awaited<ReturnType<typeof serveFeeds>>;
  let sink: WebhookSink;
  let store: StoreService;
  let live: LiveService;
  const services: RunningService[] = [];
  const kafka = new Kafka({ clientId: 'e2e-probe', brokers: [brokers()], logLevel: logLevel.NOTHING });

  beforeAll(async () => {
    feeds = await serveFeeds({
      '/news.xml': { body: rss('Fixture Wire', feed) },
      '/broken.xml': { body: '<html><body>Service Unavailable</body></html>', contentType: 'text/html' },
    });
    sink = await startWebhookSink({ secret });
    const env = {
      KAFKA_BROKERS: brokers(),
      FINSENT_DATA_DIR: dir.path,
      STORE_PORT: '0',
      STORE_SQL_PORT: '0',
      CLASSIFY_PORT: '0',
      ALERT_PORT: '0',
      INGEST_PORT: '0',
      LIVE_PORT: '0',
      LIVE_REFRESH_MS: '500',
      STORE_BATCH_WAIT_MS: '200',
      ALERT_WEBHOOK_URL: sink.url,
      ALERT_WEBHOOK_SECRET: secret,
      ALERT_IDLE_FLUSH_S: '2',
      FEEDS: `${feeds.url('/news.xml')},${feeds.url('/broken.xml')}`,
      FEED_ALLOW_PRIVATE_HOSTS: '127.0.0.1',
      FEED_POLL_INTERVAL_S: '2',
      ORT_INTRA_OP_THREADS: '2',
      // The earlier shipped model as a candidate, scoring half the items in shadow.
      SHADOW_MODEL_DIR: fileURLToPath(new URL('../models/finsent-minilm/', import.meta.url)),
      SHADOW_SAMPLE: '0.5',
      // Lets a candidate model be tried end to end: MODEL_DIR=… npm test
      ...(process.env.MODEL_DIR ? { MODEL_DIR: process.env.MODEL_DIR } : {}),
    };
    store = await startStore(loadStoreConfig(env), testLogger('store'));
    services.push(store);
    services.push(await startClassify(loadClassifyConfig(env), testLogger('classify')));
    services.push(await startAlert(loadAlertConfig(env), testLogger('alert')));
    services.push(await startIngest(loadIngestConfig(env), testLogger('ingest')));
    // Reads the embedded ClickHouse through the store's read endpoint, as under `finsent start`.
    live = await startLive(loadLiveConfig(env), testLogger('live'));
    services.push(live);
  }, 180_000);

  afterAll(async () => {
    for (const s of services.reverse()) await s.stop();
    await sink?.close();
    await feeds?.close();
    dir.remove();
  });

  it('scores every feed item exactly once into ClickHouse, with contract labels', async () => {
    const count = await waitFor(
      'all feed items in ClickHouse',
      async () => {
        const rows = await (
          await store.client.query({ query: 'SELECT count() AS n FROM v_items', format: 'JSONEachRow' })
        ).json<{ n: string }>();
        const n = Number(rows[0]!.n);
        return n >= feed.length ? n : undefined;
      },
      120_000,
    );
    expect(count).toBe(feed.length);
    // Polls repeat every 2 s: let the feed be fetched a few more times; nothing may be stored twice.
    const hitsNow = feeds.hits;
    await waitFor('two more polls', async () => feeds.hits >= hitsNow + 4, 30_000);
    await new Promise((r) => setTimeout(r, 1_500));
    const raw = await (
      await store.client.query({ query: 'SELECT count() AS n, uniqExact(id) AS ids FROM items', format: 'JSONEachRow' })
    ).json<{ n: string; ids: string }>();
    expect(Number(raw[0]!.ids)).toBe(feed.length);

    const labels = await (
      await store.client.query({
        query: 'SELECT sentiment, topic, p_negative + p_neutral + p_positive AS p, model_version FROM v_items',
        format: 'JSONEachRow',
      })
    ).json<{ sentiment: string; topic: string; p: number; model_version: string }>();
    for (const r of labels) {
      expect(['negative', 'neutral', 'positive']).toContain(r.sentiment);
      expect(TOPICS as readonly string[]).toContain(r.topic);
      expect(r.p).toBeGreaterThan(0.99);
      expect(r.model_version).toMatch(/^finsent-/);
    }
    // The burst headlines are unmistakably bad news: the model must call most of them negative.
    const burst = await (
      await store.client.query({
        query: "SELECT countIf(sentiment = 'negative') AS neg, count() AS n FROM v_items WHERE url LIKE '%/burst/%'",
        format: 'JSONEachRow',
      })
    ).json<{ neg: string; n: string }>();
    expect(Number(burst[0]!.neg) / Number(burst[0]!.n)).toBeGreaterThan(0.7);

    // Per-minute trends are there and add up to the items, counted once.
    const trend = await (
      await store.client.query({
        query: 'SELECT sum(total) AS n, count() AS rows FROM v_topic_sentiment_minute',
        format: 'JSONEachRow',
      })
    ).json<{ n: string; rows: string }>();
    expect(Number(trend[0]!.n)).toBe(feed.length);
  });

  it("stores each company's own sentiment: per-entity rows and ticker trends", async () => {
    type Entity = { entity: string; ticker: string; sentiment: string; item_sentiment: string };
    const entities = await waitFor("the mixed headline's entities", async () => {
      const rows = await (
        await store.client.query({
          query:
            "SELECT e.entity AS entity, e.ticker AS ticker, e.sentiment AS sentiment, e.item_sentiment AS item_sentiment FROM v_item_entities AS e JOIN v_items AS i USING id WHERE i.url LIKE '%/mixed/%' ORDER BY e.start",
          format: 'JSONEachRow',
        })
      ).json<Entity>();
      return rows.length >= 2 ? rows : undefined;
    });
    expect(entities.map((e) => e.ticker)).toEqual(['JPM', 'GS']);
    // The headline is good for one and bad for the other; each company keeps its own label.
    expect(entities.map((e) => e.sentiment)).toEqual(['positive', 'negative']);
    const own = Object.fromEntries(entities.map((e) => [e.ticker, e.sentiment]));
    const trend = await (
      await store.client.query({
        query: `SELECT ticker, sum(negative) AS negative, sum(positive) AS positive FROM v_ticker_sentiment_minute
              WHERE ticker IN ('JPM', 'GS') AND minute = toStartOfMinute(fromUnixTimestamp64Milli({t:Int64})) GROUP BY ticker ORDER BY ticker`,
        query_params: { t: start + MIXED.minute * 60_000 + 40_000 },
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
    ).json<{ ticker: string; negative: number; positive: number }>();
    // Each ticker counts once, with its own entity's sentiment.
    expect(trend).toEqual(
      ['GS', 'JPM'].map((t) => ({
        ticker: t,
        negative: own[t] === 'negative' ? 1 : 0,
        positive: own[t] === 'positive' ? 1 : 0,
      })),
    );
  });

  it('delivers a signed negative-spike alert for the burst, once, and records it', async () => {
    const alert = await waitFor('an alert at the webhook', async () => sink.received[0], 90_000);
    const burstStart = start + 60 * 60_000;
    expect(Date.parse(alert.window_end)).toBeGreaterThan(burstStart);
    expect(Date.parse(alert.window_start)).toBeLessThan(burstStart + 10 * 60_000);
    expect(alert.negative_share).toBeGreaterThan(alert.baseline_share);
    expect(alert.headlines.some((h) => /Vandelay|bank|Bank|Credit/.test(h.title))).toBe(true);
    const ids = sink.received.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    const recorded = await waitFor('the alert in ClickHouse', async () => {
      const rows = await (
        await store.client.query({
          query: 'SELECT id, delivery_state FROM alerts FINAL WHERE id = {id:String}',
          query_params: { id: alert.id },
          format: 'JSONEachRow',
        })
      ).json<{ id: string; delivery_state: string }>();
      return rows[0];
    });
    expect(recorded.delivery_state).toBe('delivered');
  });

  it('dead-letters poison with its reason and keeps scoring valid items', async () => {
    const producer = kafka.producer();
    await producer.connect();
    const valid = {
      schema_version: 1,
      id: 'f'.repeat(32),
      source: 'test:poison',
      source_kind: 'push',
      url: null,
      title: 'Acme Corp wins large defense contract',
      text: 'Acme Corp wins large defense contract',
      published_at: new Date().toISOString(),
      fetched_at: new Date().toISOString(),
      tickers: [],
    };
    await producer.send({
      topic: TOPIC_NAMES.raw,
      messages: [
        { key: 'bad-json', value: '{"schema_version": 1, "id": ' },
        { key: 'bad-schema', value: JSON.stringify({ schema_version: 1, id: 'nope', text: 'x' }) },
        { key: 'bad-utf8', value: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
        {
          key: 'empty-text',
          value: JSON.stringify({ ...valid, id: 'e'.repeat(32), text: '   https://t.co/x  ', title: '' }),
        },
        { key: valid.id, value: JSON.stringify(valid) },
      ],
    });
    // Ten big non-JSON messages in one produce to one partition reach classify as one batch; dead-lettered in
    // one send they exceeded the dead-letter topic's message limit and killed classify's consumer for good.
    const big = Array.from({ length: 10 }, (_, i) => Buffer.alloc(i === 9 ? 300 * 1024 : 200 * 1024, 0x3c));
    await producer.send({ topic: TOPIC_NAMES.raw, messages: big.map((value) => ({ key: 'big-poison', value })) });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: `e2e-dlq-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC_NAMES.deadLetter, fromBeginning: true });
    const letters: Array<{
      key: string | null;
      reason: string;
      stage: string;
      bytes: number;
      truncated: boolean;
      sha256?: string;
    }> = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        const d = DeadLetterSchema.parse(JSON.parse(message.value!.toString()));
        letters.push({
          key: d.key,
          reason: d.reason_code,
          stage: d.stage,
          bytes: d.payload_bytes,
          truncated: d.payload_truncated,
          sha256: d.payload_sha256,
        });
      },
    });
    await waitFor(
      'fourteen dead letters from classify',
      async () => letters.filter((l) => l.stage === 'classify').length >= 14,
    );
    await consumer.disconnect();
    const mine = letters.filter((l) => l.stage === 'classify');
    const reasons = Object.fromEntries(mine.filter((l) => l.key !== 'big-poison').map((l) => [l.key, l.reason]));
    expect(reasons).toEqual({
      'bad-json': 'invalid_json',
      'bad-schema': 'schema_violation',
      'bad-utf8': 'invalid_utf8',
      'empty-text': 'empty_text',
    });
    const bigLetters = mine.filter((l) => l.key === 'big-poison');
    expect(bigLetters.map((l) => l.bytes)).toEqual(big.map((b) => b.length));
    expect(bigLetters.map((l) => l.truncated)).toEqual(big.map((_, i) => i === 9));
    expect(bigLetters[9]!.sha256).toBe(createHash('sha256').update(big[9]!).digest('hex'));
    expect((await fetch(`${services.find((x) => x.name === 'classify')!.opsUrl}/healthz`)).status).toBe(200);
    // The feed that returned an HTML page was dead-lettered by ingest, with the body kept.
    expect(letters.some((l) => l.stage === 'ingest' && l.reason === 'feed_parse_error')).toBe(true);
    // The valid message behind the poison still made it through.
    await waitFor('the valid item after the poison', async () => {
      const rows = await (
        await store.client.query({
          query: 'SELECT count() AS n FROM v_items WHERE id = {id:String}',
          query_params: { id: valid.id },
          format: 'JSONEachRow',
        })
      ).json<{ n: string }>();
      return Number(rows[0]!.n) === 1;
    });
  });

  it('the live view draws the charts and the alert in Chromium, and follows new items as they are stored', async () => {
    const alert = sink.received[0]!;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
      // A script error or a refused resource (the page's CSP allows nothing from elsewhere) fails the test.
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
      await page.goto(live.url);
      await page.waitForSelector('[data-testid=market] canvas', { timeout: 20_000 });
      // The market chart has drawn its negative-share line: red pixels on the canvas, not just axes.
      const redPixels = await page.$eval('[data-testid=market] canvas', (canvas) => {
        const c = canvas as HTMLCanvasElement;
        const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < px.length; i += 4)
          if (px[i]! > 200 && px[i + 1]! < 140 && px[i + 2]! < 140 && px[i + 3]! > 0) n++;
        return n;
      });
      expect(redPixels).toBeGreaterThan(100);
      expect(await page.locator('[data-testid=topic-charts] .topic canvas').count()).toBeGreaterThan(1);
      const alertItem = page.locator(`[data-alert-id="${alert.id}"]`);
      expect(await alertItem.innerText()).toContain(alert.headlines[0]!.title);

      // A new item reaches the open page without a reload: the count of items shown grows and the headline appears.
      const shown = Number(await page.locator('[data-testid=items-in-window]').innerText());
      const title = 'Vandelay Bank collapses into bankruptcy, wiping out shareholders';
      const producer = kafka.producer();
      await producer.connect();
      const now = new Date().toISOString();
      await producer.send({
        topic: TOPIC_NAMES.raw,
        messages: [
          {
            key: 'd'.repeat(32),
            value: JSON.stringify({
              schema_version: 1,
              id: 'd'.repeat(32),
              source: 'test:live',
              source_kind: 'push',
              url: 'https://fixtures.example.com/live/1',
              title,
              text: title,
              published_at: now,
              fetched_at: now,
              tickers: [],
            }),
          },
        ],
      });
      await producer.disconnect();
      await page.waitForFunction(
        (n) => Number(document.querySelector('[data-testid=items-in-window]')?.textContent) > n,
        shown,
        { timeout: 60_000 },
      );
      await page.locator('[data-testid=negative-headlines]').getByText(title).waitFor({ timeout: 10_000 });
      await page.screenshot({ path: artifactPath('live-view.png'), fullPage: true });

      // A ticker page: the two-company headline carries Goldman's own (negative) sentiment there.
      await page.goto(new URL('/ticker/GS', live.url).toString());
      await page.waitForSelector('[data-testid=ticker-chart] canvas', { timeout: 20_000 });
      expect(await page.locator('h1').innerText()).toMatch(/^GS\s+.*Goldman Sachs/);
      const mixed = page.locator('[data-testid=ticker-headlines] li', { hasText: MIXED.title });
      expect(await mixed.locator('.badge').innerText()).toMatch(/negative/i);
      await page.screenshot({ path: artifactPath('live-view-ticker.png'), fullPage: true });

      // An analyst corrects Goldman's own sentiment on that headline from the page; it is stored like a CLI correction.
      await mixed.locator('[data-action=correct]').click();
      await mixed.locator('select[name=label]').selectOption('positive');
      await mixed.locator('input[name=analyst]').fill('e2e-browser');
      await mixed.locator('button[type=submit]').click();
      const status = mixed.locator('[data-role=status]');
      await page.waitForFunction(
        (el) => el !== null && !/^(recording…)?$/.test(el.textContent ?? ''),
        await status.elementHandle(),
        { timeout: 15_000 },
      );
      expect(await status.innerText()).toMatch(/^recorded: .*Goldman Sachs.* negative → positive$/);
      const fromPage = await waitFor('the correction from the page in ClickHouse', async () => {
        const rows = await (
          await store.client.query({
            query: "SELECT field, ticker, old_label, new_label FROM v_corrections WHERE created_by = 'e2e-browser'",
            format: 'JSONEachRow',
          })
        ).json<{ field: string; ticker: string; old_label: string; new_label: string }>();
        return rows[0];
      });
      expect(fromPage).toEqual({
        field: 'entity_sentiment',
        ticker: 'GS',
        old_label: 'negative',
        new_label: 'positive',
      });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it("stores a correction made with finsent correct, shows it beside the model's label, and exports it for training", async () => {
    const [mixed] = await (
      await store.client.query({
        query: "SELECT id, sentiment, topic FROM v_items WHERE url LIKE '%/mixed/%'",
        format: 'JSONEachRow',
      })
    ).json<{ id: string; sentiment: string; topic: string }>();
    const other = (label: string, of: readonly string[]) => of.find((x) => x !== label)!;
    const first = other(mixed!.sentiment, ['neutral', 'positive', 'negative']);
    const env = { FINSENT_DATA_DIR: dir.path, KAFKA_BROKERS: brokers() };
    const out = await cli(
      [
        'correct',
        mixed!.id,
        '--sentiment',
        first,
        '--entity',
        'GS',
        '--entity-sentiment',
        'neutral',
        '--by',
        'e2e-analyst',
        '--note',
        'test',
      ],
      env,
    );
    expect(out).toMatch(new RegExp(`sentiment ${mixed!.sentiment} → ${first}`));
    // A second look: the newest correction of a label is the one that counts, and the item still counts once.
    const second = other(
      first,
      ['negative', 'neutral', 'positive'].filter((x) => x !== mixed!.sentiment),
    );
    await cli(['correct', mixed!.id, '--sentiment', second, '--by', 'e2e-lead'], env);
    const latest = await waitFor('both sentiment corrections in ClickHouse', async () => {
      const rows = await (
        await store.client.query({
          query:
            "SELECT label, model_label, corrected_by, corrections FROM v_corrections_latest WHERE item_id = {id:String} AND field = 'sentiment'",
          query_params: { id: mixed!.id },
          format: 'JSONEachRow',
          clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
        })
      ).json<{ label: string; model_label: string; corrected_by: string; corrections: number }>();
      return rows[0]?.corrections === 2 ? rows[0] : undefined;
    });
    expect(latest).toEqual({ label: second, model_label: mixed!.sentiment, corrected_by: 'e2e-lead', corrections: 2 });
    const [beside] = await (
      await store.client.query({
        query: 'SELECT model_sentiment, corrected_sentiment, sentiment FROM v_items_corrected WHERE id = {id:String}',
        query_params: { id: mixed!.id },
        format: 'JSONEachRow',
      })
    ).json<{ model_sentiment: string; corrected_sentiment: string; sentiment: string }>();
    expect(beside).toEqual({ model_sentiment: mixed!.sentiment, corrected_sentiment: second, sentiment: second });
    const [counted] = await (
      await store.client.query({
        query:
          'SELECT (SELECT sum(total) FROM v_topic_sentiment_minute_corrected) AS corrected, (SELECT count() FROM v_items) AS items',
        format: 'JSONEachRow',
        clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
      })
    ).json<{ corrected: number; items: number }>();
    expect(counted!.corrected).toBe(counted!.items);

    const file = `${dir.path}/corrections.ndjson`;
    await cli(['export-training', '--out', file, '--since', '1h'], env);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            id: string;
            sentiment: string;
            entities: Array<{ name: string; sentiment: string; start: number }>;
          },
      );
    expect(lines).toHaveLength(1);
    expect(lines[0]!.id).toBe(`correction-${mixed!.id}`);
    expect(lines[0]!.sentiment).toBe(second);
    expect(lines[0]!.entities).toEqual([
      expect.objectContaining({ sentiment: 'neutral', start: MIXED.title.indexOf('Goldman') }),
    ]);
  });

  it('scores the sampled share with a candidate model in shadow, and compare-models reports on it', async () => {
    const ids = (
      await (
        await store.client.query({ query: 'SELECT id FROM v_items', format: 'JSONEachRow' })
      ).json<{ id: string }>()
    ).map((r) => r.id);
    const sampled = ids.filter((id) => inSample(id, 0.5));
    expect(sampled.length).toBeGreaterThan(ids.length / 4);
    const shadow = await waitFor(
      'a candidate label for every sampled item',
      async () => {
        const rows = await (
          await store.client.query({
            query: 'SELECT item_id, model_version, live_model_version FROM v_shadow_labels',
            format: 'JSONEachRow',
          })
        ).json<{ item_id: string; model_version: string; live_model_version: string }>();
        return rows.length >= sampled.length ? rows : undefined;
      },
      60_000,
    );
    // Exactly the sample, once each: the live model's labels stay as they were, beside the candidate's.
    expect(shadow.map((r) => r.item_id).sort()).toEqual([...sampled].sort());
    expect(new Set(shadow.map((r) => r.model_version))).toEqual(new Set([expect.stringMatching(/^finsent-minilm-/)]));
    expect(shadow[0]!.live_model_version).toMatch(/^finsent-bge-small-/);
    const report = JSON.parse(
      await cli(['compare-models', '--since', '1d', '--json'], {
        FINSENT_DATA_DIR: dir.path,
        KAFKA_BROKERS: brokers(),
      }),
    ) as {
      items: number;
      sentiment: { agreement: number; shifts: unknown[] };
      topic: { agreement: number };
      verdict: string;
    };
    expect(report.items).toBe(sampled.length);
    expect(report.sentiment.agreement).toBeGreaterThan(0.3);
    expect(report.sentiment.agreement).toBeLessThanOrEqual(1);
    expect(report.sentiment.shifts).toHaveLength(3);
    expect(report.verdict).toMatch(/corrected/);
  });
});
