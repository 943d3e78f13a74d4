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
  type RouteHandler,
  type RunningService,
} from '@finsent/shared';
import type { IngestConfig } from './config.js';
import { SeenIds } from './dedup.js';
import { ingestMetrics } from './metrics.js';
import { NearDupIndex } from './near-dup.js';
import { ItemPublisher } from './publisher.js';
import { pushHandler } from './push.js';
import { SEEN_TOPIC, SeenLog, loadSeenIds } from './seen-store.js';
import { FeedPoller, type FeedConfig } from './sources/feed-poller.js';
import { startSocialSources, type SocialSources } from './sources/social/index.js';
import { TickerExtractor } from './tickers.js';

export { loadIngestConfig, ingestConfigSchema, type IngestConfig } from './config.js';
export { ItemPublisher } from './publisher.js';
export { parseReplayLine } from './sources/ndjson.js';
export { parseFeed } from './sources/feed-parser.js';
export { fetchBounded } from './sources/http-fetch.js';
export { normaliseEntry, stableId } from './item.js';
export { TickerExtractor } from './tickers.js';
export { SEEN_TOPIC } from './seen-store.js';

const FeedListSchema = z.array(
  z.object({
    url: z.string().url(),
    publisher: z.string().optional(),
    category: z.string().optional(),
    intervalS: z.number().int().positive().optional(),
  }),
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
  if (!parsed.success)
    throw new FinsentError('FINSENT_ERR_CONFIG', `FEEDS_FILE ${config.FEEDS_FILE}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** A publisher for one-off jobs (replay, backfill) that are not the long-running service. */
export async function createItemPublisher(
  bus: Bus,
  logger: Logger,
  dedupCapacity = 1_000_000,
): Promise<{ publisher: ItemPublisher; close(): Promise<void> }> {
  await bus.ensureTopics(TOPIC_SPECS);
  const producer = await bus.producer();
  const publisher = new ItemPublisher({
    producer,
    seen: new SeenIds(dedupCapacity),
    tickers: TickerExtractor.fromFile(),
    metrics: ingestMetrics(createRegistry('replay')),
    logger,
    nearDup: new NearDupIndex(),
  });
  return { publisher, close: () => producer.close() };
}

export interface IngestService extends RunningService {
  publisher: ItemPublisher;
  poller: FeedPoller;
  social: SocialSources;
}

export async function startIngest(
  config: IngestConfig,
  logger: Logger = createLogger('ingest', config.LOG_LEVEL),
  deps: { bus?: Bus } = {},
): Promise<IngestService> {
  const feeds = loadFeeds(config);
  const registry = createRegistry('ingest');
  const metrics = ingestMetrics(registry);
  const bus =
    deps.bus ??
    createKafkajsBus({ brokers: config.KAFKA_BROKERS, clientId: config.KAFKA_CLIENT_ID ?? 'finsent-ingest', logger });
  await bus.ensureTopics([...TOPIC_SPECS, SEEN_TOPIC]);
  const producer = await bus.producer();
  const nearDup = config.NEAR_DUP_ENABLED
    ? new NearDupIndex({
        threshold: config.NEAR_DUP_THRESHOLD,
        capacity: config.NEAR_DUP_CAPACITY,
        maxAgeMs: config.NEAR_DUP_WINDOW_H * 3_600_000,
      })
    : undefined;
  let seen = new SeenIds(config.INGEST_DEDUP_CAPACITY);
  if (config.INGEST_DEDUP_PERSIST) {
    const loaded = await loadSeenIds(bus, config.INGEST_DEDUP_CAPACITY, logger, {
      headlinesSince: nearDup ? Date.now() - nearDup.opts.maxAgeMs : Infinity,
    });
    seen = loaded.seen;
    metrics.seenLoaded.set(loaded.loaded);
    if (nearDup) {
      // Only what the index would still hold: the newest `capacity` headlines within its window (oldest first).
      for (const h of loaded.headlines.slice(-nearDup.opts.capacity)) nearDup.remember(h.id, h.headline, h.at);
      logger.info({ headlines: nearDup.size }, 'near-duplicate index restored from the seen-id topic');
    }
  }
  const seenLog = config.INGEST_DEDUP_PERSIST ? new SeenLog(producer) : undefined;
  const publisher = new ItemPublisher({
    producer,
    seen,
    tickers: TickerExtractor.fromFile(),
    metrics,
    logger,
    nearDup,
    seenLog,
    languages: config.INGEST_LANGUAGES,
  });
  const userAgent = 'finsent-ingest/0.1 (+https://github.com/finsent)';
  const poller = new FeedPoller({
    feeds,
    defaultIntervalS: config.FEED_POLL_INTERVAL_S,
    limits: {
      timeoutMs: config.FEED_TIMEOUT_MS,
      maxBytes: config.FEED_MAX_BYTES,
      maxRedirects: config.FEED_MAX_REDIRECTS,
      userAgent,
      allowPrivateHosts: config.FEED_ALLOW_PRIVATE_HOSTS,
    },
    publisher,
    metrics,
    logger,
  });
  poller.start();
  logger.info({ feeds: feeds.length }, 'polling feeds');
  const social = startSocialSources(config, { publisher, metrics, logger, userAgent });
  logger.info({ sources: social.sources }, 'social sources started');
  const routes: Record<string, RouteHandler> = config.INGEST_TOKEN
    ? {
        '/ingest': pushHandler({
          token: config.INGEST_TOKEN,
          maxBodyBytes: config.INGEST_MAX_BODY_BYTES,
          publisher,
          metrics,
          logger,
        }),
      }
    : {};
  if (!config.INGEST_TOKEN) logger.info('INGEST_TOKEN not set: POST /ingest is off');
  const ops = await startOpsServer({
    port: config.INGEST_PORT,
    host: config.OPS_HOST,
    registry,
    health: () => ({ ok: true, feeds: feeds.length, social: social.sources }),
    routes,
  });
  return {
    name: 'ingest',
    opsUrl: ops.url,
    publisher,
    poller,
    social,
    async stop() {
      await Promise.all([poller.stop(), social.stop()]);
      await ops.close(); // no push request may reach a closed producer
      await producer.close();
    },
  };
}
