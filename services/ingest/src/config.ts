import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { commonConfigShape, env, loadConfig } from '@finsent/shared';
import { DEFAULT_NEAR_DUP } from './near-dup.js';

export const DEFAULT_FEEDS_FILE = fileURLToPath(new URL('../feeds.json', import.meta.url));
export const COMPANIES_FILE = fileURLToPath(new URL('../data/companies.json', import.meta.url));

export const ingestConfigSchema = z.object({
  ...commonConfigShape,
  INGEST_PORT: env.port(9401).describe('port of /metrics and /healthz'),
  FEEDS_FILE: env.str(DEFAULT_FEEDS_FILE).describe('JSON list of {url, publisher, category, intervalS}'),
  FEEDS: z
    .string()
    .transform((s) => s.split(',').map((u) => u.trim()).filter(Boolean))
    .pipe(z.array(z.string().url('each feed must be an http(s) URL')))
    .optional()
    .describe('comma-separated feed URLs; replaces FEEDS_FILE'),
  FEEDS_ENABLED: env.bool(true).describe('false: no feed polling (replay and push only)'),
  FEED_POLL_INTERVAL_S: env.int(60, 1, 86_400),
  FEED_TIMEOUT_MS: env.int(10_000, 100, 300_000),
  FEED_MAX_BYTES: env.int(5 * 1024 * 1024, 1_024, 512 * 1024 * 1024),
  FEED_MAX_REDIRECTS: env.int(5, 0, 20),
  INGEST_DEDUP_CAPACITY: env.int(200_000, 1, 100_000_000).describe('item ids remembered for exact de-duplication'),
  INGEST_DEDUP_PERSIST: env.bool(true).describe('persist published ids in the compacted topic finsent.ingest-seen.v1 and reload them at start'),
  NEAR_DUP_ENABLED: env.bool(true).describe('mark near-duplicate headlines with duplicate_of and novelty < 1'),
  NEAR_DUP_THRESHOLD: env.num(DEFAULT_NEAR_DUP.threshold, 0.05, 1).describe('Jaccard similarity of headline tokens from which two items are the same story'),
  NEAR_DUP_CAPACITY: env.int(DEFAULT_NEAR_DUP.capacity, 1, 10_000_000).describe('recent headlines kept for near-duplicate lookup'),
  NEAR_DUP_WINDOW_H: env.num(DEFAULT_NEAR_DUP.maxAgeMs / 3_600_000, 0.01, 24 * 30).describe('hours a headline stays in the near-duplicate index'),
  INGEST_TOKEN: z.string().min(16, 'must be at least 16 characters').optional().describe('bearer token of POST /ingest; the endpoint is off without it'),
  INGEST_MAX_BODY_BYTES: env.int(1024 * 1024, 1_024, 256 * 1024 * 1024).describe('largest POST /ingest body; 413 beyond'),
});
export type IngestConfig = z.infer<typeof ingestConfigSchema>;

export const loadIngestConfig = (e: Record<string, string | undefined> = process.env) => loadConfig('ingest', ingestConfigSchema, e);
