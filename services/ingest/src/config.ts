import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { commonConfigShape, env, loadConfig } from '@finsent/shared';
import { DEFAULT_NEAR_DUP } from './near-dup.js';

export const DEFAULT_FEEDS_FILE = fileURLToPath(new URL('../feeds.json', import.meta.url));

/** A comma-separated list; each element trimmed, empty ones dropped, then checked by `item`. */
const list = (item: z.ZodType<string, string>) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1, 'at least one value'));

const pollInterval = (def: number) => env.num(def, 0.05, 86_400);

export const ingestConfigSchema = z.object({
  ...commonConfigShape,
  INGEST_PORT: env.port(9401).describe('port of /metrics and /healthz'),
  FEEDS_FILE: env.str(DEFAULT_FEEDS_FILE).describe('JSON list of {url, publisher, category, intervalS}'),
  FEEDS: z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().url('each feed must be an http(s) URL')))
    .optional()
    .describe('comma-separated feed URLs; replaces FEEDS_FILE'),
  FEEDS_ENABLED: env.bool(true).describe('false: no feed polling (replay and push only)'),
  FEED_POLL_INTERVAL_S: env
    .int(60, 1, 86_400)
    .describe('seconds between polls of a feed (a feed may set its own intervalS)'),
  FEED_TIMEOUT_MS: env.int(10_000, 100, 300_000).describe('timeout of one feed request'),
  FEED_MAX_BYTES: env
    .int(5 * 1024 * 1024, 1_024, 512 * 1024 * 1024)
    .describe('largest feed body read; a larger one is refused'),
  FEED_MAX_REDIRECTS: env.int(5, 0, 20).describe('redirects followed per feed request'),
  FEED_ALLOW_PRIVATE_HOSTS: z
    .string()
    .transform(
      (s) =>
        new Set(
          s
            .split(',')
            .map((h) => h.trim().toLowerCase())
            .filter(Boolean),
        ),
    )
    .default(new Set<string>())
    .describe('comma list of hosts (names or IPs) feeds may reach although loopback or private; unset: none'),
  INGEST_LANGUAGES: z
    .string()
    .transform(
      (s) =>
        new Set(
          s
            .split(',')
            .map((l) => l.trim().toLowerCase())
            .filter(Boolean),
        ),
    )
    .pipe(z.set(z.string().regex(/^[a-z]{2}$/, 'each language must be a two-letter ISO 639-1 code')))
    .optional()
    .describe('comma list of languages to publish (e.g. en); others are counted and left out; unset: all, tagged'),
  INGEST_DEDUP_CAPACITY: env.int(200_000, 1, 100_000_000).describe('item ids remembered for exact de-duplication'),
  INGEST_DEDUP_PERSIST: env
    .bool(true)
    .describe('persist published ids in the compacted topic finsent.ingest-seen.v1 and reload them at start'),
  NEAR_DUP_ENABLED: env.bool(true).describe('mark near-duplicate headlines with duplicate_of and novelty < 1'),
  NEAR_DUP_THRESHOLD: env
    .num(DEFAULT_NEAR_DUP.threshold, 0.05, 1)
    .describe('Jaccard similarity of headline tokens from which two items are the same story'),
  NEAR_DUP_CAPACITY: env
    .int(DEFAULT_NEAR_DUP.capacity, 1, 10_000_000)
    .describe('recent headlines kept for near-duplicate lookup'),
  NEAR_DUP_WINDOW_H: env
    .num(DEFAULT_NEAR_DUP.maxAgeMs / 3_600_000, 0.01, 24 * 30)
    .describe('hours a headline stays in the near-duplicate index'),
  INGEST_TOKEN: z
    .string()
    .min(16, 'must be at least 16 characters')
    .optional()
    .describe('bearer token of POST /ingest; the endpoint is off without it'),
  INGEST_MAX_BODY_BYTES: env
    .int(1024 * 1024, 1_024, 256 * 1024 * 1024)
    .describe('largest POST /ingest body; 413 beyond'),
  SOCIAL_HTTP_TIMEOUT_MS: env.int(10_000, 100, 300_000).describe('timeout of one social API request'),
  SOCIAL_MAX_BYTES: env.int(5 * 1024 * 1024, 1_024, 512 * 1024 * 1024).describe('largest social API response body'),
  SOCIAL_BACKOFF_BASE_MS: env
    .int(5_000, 1, 3_600_000)
    .describe('first retry delay of a failing social source (doubles, with jitter)'),
  SOCIAL_BACKOFF_MAX_MS: env
    .int(15 * 60_000, 1, 24 * 3_600_000)
    .describe('longest retry delay of a failing social source'),
  REDDIT_SUBREDDITS: list(
    z.string().regex(/^[A-Za-z0-9_]{2,21}$/, 'each subreddit is a name such as wallstreetbets (no r/)'),
  )
    .optional()
    .describe('comma-separated subreddits whose new posts are polled; Reddit is off without it'),
  REDDIT_BASE_URL: z.string().url().default('https://www.reddit.com').describe('Reddit API base URL'),
  REDDIT_POLL_INTERVAL_S: pollInterval(60).describe('seconds between polls of a subreddit'),
  REDDIT_USER_AGENT: env
    .str('node:finsent-ingest:0.1.0 (financial sentiment pipeline)')
    .describe('Reddit asks for <platform>:<app id>:<version> (by /u/<username>)'),
  MASTODON_TAGS: list(
    z
      .string()
      .transform((t) => t.replace(/^#/, ''))
      .pipe(z.string().regex(/^[\p{L}\p{N}_]+$/u, 'each tag is a hashtag such as stocks (letters, digits, _)')),
  )
    .optional()
    .describe('comma-separated hashtags whose public timelines are polled; Mastodon is off without it'),
  MASTODON_INSTANCE: z
    .string()
    .url()
    .default('https://mastodon.social')
    .describe('instance whose hashtag timelines are read'),
  MASTODON_TOKEN: z.string().optional().describe('access token (Bearer), for instances that require one for timelines'),
  MASTODON_POLL_INTERVAL_S: pollInterval(60).describe('seconds between polls of a hashtag timeline'),
  JETSTREAM_ENABLED: env.bool(false).describe('subscribe to Bluesky posts through Jetstream'),
  JETSTREAM_URL: z
    .string()
    .regex(/^wss?:\/\/[^\s/]+/, 'must be a ws:// or wss:// URL')
    .default('wss://jetstream2.us-east.bsky.network')
    .describe('Bluesky Jetstream endpoint'),
  SOCIAL_KEYWORDS: list(z.string().min(2, 'each keyword has at least 2 characters'))
    .optional()
    .describe(
      'comma-separated words or phrases; a Bluesky post is kept when it has a cashtag or one of them (whole words, any case)',
    ),
  JETSTREAM_FLUSH_MS: env.int(1_000, 10, 60_000).describe('matched Bluesky posts are published at least this often'),
  JETSTREAM_IDLE_TIMEOUT_S: env.num(60, 0.1, 3_600).describe('a Jetstream connection silent this long is re-opened'),
  STOCKTWITS_SYMBOLS: list(
    z
      .string()
      .transform((t) => t.replace(/^\$/, '').toUpperCase())
      .pipe(z.string().regex(/^[A-Z0-9][A-Z0-9.-]{0,11}$/, 'each symbol is a ticker such as AAPL or BTC.X')),
  )
    .optional()
    .describe('comma-separated symbols whose StockTwits streams are polled; StockTwits is off without it'),
  STOCKTWITS_BASE_URL: z.string().url().default('https://api.stocktwits.com').describe('StockTwits API base URL'),
  STOCKTWITS_POLL_INTERVAL_S: pollInterval(60).describe('seconds between polls of a symbol stream'),
});
export type IngestConfig = z.infer<typeof ingestConfigSchema>;

export const loadIngestConfig = (e: Record<string, string | undefined> = process.env) =>
  loadConfig('ingest', ingestConfigSchema, e);
