import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  FinsentError,
  TOPIC_SPECS,
  createKafkajsBus,
  createLogger,
  createRegistry,
  describeZodError,
  startOpsServer,
  type Bus,
  type Logger,
  type RunningService,
} from '@finsent/shared';
import { COMPANIES_FILE, type IngestConfig } from './config.js';
import { SeenIds } from './dedup.js';
import { ingestMetrics } from './metrics.js';
import { ItemPublisher } from './publisher.js';
import { FeedPoller, type FeedConfig } from './sources/feed-poller.js';
import { TickerExtractor } from './tickers.js';

export { loadIngestConfig, ingestConfigSchema, type IngestConfig } from './config.js';
export { ItemPublisher } from './publisher.js';
export { parseReplayLine } from './sources/ndjson.js';
export { parseFeed } from './sources/feed-parser.js';
export { normaliseEntry } from './item.js';

const FeedListSchema = z.array(
  z.object({ url: z.string().url(), publisher: z.string().optional(), category: z.string().optional(), intervalS: z.number().int().positive().optional() }),
);

export function loadFeeds(config: IngestConfig): FeedConfig[] {
  if (!config.FEEDS_ENABLED) return [];
  if (config.FEEDS) return config.FEEDS.map((url) => ({ url }));
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(config.FEEDS_FILE, 'utf8'));
  } catch (err) {
    throw new FinsentError('FINSENT_ERR_CONFIG', `FEEDS_FILE ${config.FEEDS_FILE}: ${(err as Error).message}`);
  }
  const parsed = FeedListSchema.safeParse(raw);
  if (!parsed.success) throw new FinsentError('FINSENT_ERR_CONFIG', `FEEDS_FILE ${config.FEEDS_FILE}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** A publisher for one-off jobs (replay, backfill) that are not the long-running service. */
export async function createItemPublisher(bus: Bus, logger: Logger, dedupCapacity = 1_000_000): Promise<{ publisher: ItemPublisher; close(): Promise<void> }> {
  await bus.ensureTopics(TOPIC_SPECS);
  const producer = await bus.producer();
  const publisher = new ItemPublisher({ producer, seen: new SeenIds(dedupCapacity), tickers: TickerExtractor.fromFile(COMPANIES_FILE), metrics: ingestMetrics(createRegistry('replay')), logger });
  return { publisher, close: () => producer.close() };
}

export interface IngestService extends RunningService {
  publisher: ItemPublisher;
  poller: FeedPoller;
}

export async function startIngest(config: IngestConfig, logger: Logger = createLogger('ingest', config.LOG_LEVEL), deps: { bus?: Bus } = {}): Promise<IngestService> {
  const feeds = loadFeeds(config);
  const registry = createRegistry('ingest');
  const metrics = ingestMetrics(registry);
  const bus = deps.bus ?? createKafkajsBus({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID ?? 'finsent-ingest', logger });
  await bus.ensureTopics(TOPIC_SPECS);
  const producer = await bus.producer();
  const publisher = new ItemPublisher({ producer, seen: new SeenIds(config.INGEST_DEDUP_CAPACITY), tickers: TickerExtractor.fromFile(COMPANIES_FILE), metrics, logger });
  const poller = new FeedPoller({
    feeds,
    defaultIntervalS: config.FEED_POLL_INTERVAL_S,
    limits: { timeoutMs: config.FEED_TIMEOUT_MS, maxBytes: config.FEED_MAX_BYTES, maxRedirects: config.FEED_MAX_REDIRECTS, userAgent: 'finsent-ingest/0.1 (+https://github.com/finsent)' },
    publisher,
    metrics,
    logger,
  });
  poller.start();
  logger.info({ feeds: feeds.length }, 'polling feeds');
  const ops = await startOpsServer({ port: config.INGEST_PORT, registry, health: () => ({ ok: true, feeds: feeds.length }) });
  return {
    name: 'ingest',
    opsUrl: ops.url,
    publisher,
    poller,
    async stop() {
      await poller.stop();
      await producer.close();
      await ops.close();
    },
  };
}
