/**
 * Message contracts shared by every service. Each message carries `schema_version`; a consumer
 * rejects (dead-letters) versions it does not know instead of guessing.
 */
import { z } from 'zod';
import { SENTIMENTS, TOPICS } from './labels.js';

export const SCHEMA_VERSION = 1 as const;

/**
 * Raw and scored items are at version 2: v2 added `entities` (the companies a text names, with their offsets and,
 * once scored, a sentiment of their own). Consumers accept both: a v1 item reads as having no entities, so
 * messages already on the topics and producers not yet upgraded keep working. Deploy consumers before producers.
 */
export const ITEM_SCHEMA_VERSION = 2 as const;
export const ITEM_SCHEMA_VERSIONS = [1, 2] as const;

/** A ticker as the contract carries it: US symbols plain (`BRK.B`), others with an exchange suffix (`SAP.DE`). */
export const TICKER_PATTERN = /^[A-Z][A-Z0-9.-]{0,9}$/;

/** At most this many entities per item are tagged and scored (each costs a masked mean, not an encoder pass). */
export const MAX_ENTITIES = 16;

/** Upper bound on `text` after normalisation; longer texts are truncated and flagged. */
export const MAX_TEXT_CHARS = 8_000;

export const SOURCE_KINDS = ['rss', 'atom', 'rdf', 'social', 'replay', 'push'] as const;

const isoTime = z.string().datetime({ offset: true });

/**
 * The times ClickHouse's DateTime columns can hold (1970-01-01 to 2106-02-07 UTC): outside them a time wraps
 * silently (an item dated 1850 was stored at 1986), so the contract refuses it with a reason instead.
 */
export const STORABLE_TIME_RANGE_MS = [0, 4_294_967_295_000] as const;
const storableTime = isoTime.refine(
  (t) => {
    const ms = Date.parse(t);
    return ms >= STORABLE_TIME_RANGE_MS[0] && ms <= STORABLE_TIME_RANGE_MS[1];
  },
  { message: 'time outside 1970-01-01 … 2106-02-07 (what the store can hold)' },
);

/** A link a reader may click: http(s) only (no javascript:, data:, file:). */
const webUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), { message: 'url must be http(s)' });

/**
 * A company (or other named target) in an item's `text`: `start`/`end` are UTF-16 offsets into `text`, so
 * `text.slice(start, end)` is the mention the tagger matched. `ticker` is null for names without a known symbol.
 */
const mentionShape = {
  name: z.string().min(1).max(200),
  ticker: z.string().regex(TICKER_PATTERN).nullable(),
  start: z.number().int().nonnegative(),
  end: z.number().int().positive(),
};
const spanIsOrdered = [
  (e: { start: number; end: number }) => e.end > e.start,
  { message: 'entity end must be after start' },
] as const;

export const EntityMentionSchema = z.object(mentionShape).refine(...spanIsOrdered);
export type EntityMention = z.infer<typeof EntityMentionSchema>;

/**
 * A lone UTF-16 surrogate is not Unicode: ClickHouse refuses the row on every retry and the store would stall,
 * so a consumer dead-letters such an item (schema_violation) instead. (String.prototype.isWellFormed is not in
 * the ES2022 lib this project compiles against, hence the pattern.)
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isWellFormedText = (s: string): boolean => !LONE_SURROGATE.test(s);

export const RawItemSchema = z.object({
  schema_version: z.union([z.literal(ITEM_SCHEMA_VERSIONS[0]), z.literal(ITEM_SCHEMA_VERSIONS[1])]),
  /** Stable id: sha256 (hex, 32 chars) of the canonical URL or of the source's own id. */
  id: z.string().regex(/^[0-9a-f]{32}$/, 'id must be 32 lowercase hex chars'),
  /** Where the item came from, e.g. `rss:example-markets` or `replay:sample`. */
  source: z.string().min(1).max(200),
  source_kind: z.enum(SOURCE_KINDS),
  url: webUrl.nullable(),
  title: z
    .string()
    .max(2_000)
    .refine(isWellFormedText, { message: 'title contains a lone UTF-16 surrogate (invalid Unicode)' }),
  /** Text the classifier scores (title and summary, HTML stripped). Never empty. */
  text: z
    .string()
    .min(1, 'text is empty')
    .max(MAX_TEXT_CHARS)
    .refine(isWellFormedText, { message: 'text contains a lone UTF-16 surrogate (invalid Unicode)' }),
  truncated: z.boolean().default(false),
  lang: z.string().min(2).max(8).default('en'),
  published_at: storableTime,
  fetched_at: storableTime,
  tickers: z.array(z.string().regex(TICKER_PATTERN)).max(50).default([]),
  /** Id of an earlier item this one near-duplicates (reprint, light rewording), if any. */
  duplicate_of: z.string().nullable().default(null),
  /** 1 = entirely new story, 0 = exact reprint. Alerting weights counts by it. */
  novelty: z.number().min(0).max(1).default(1),
  /** v2: the entities the tagger found in `text`, in order of first mention (absent in v1: none). */
  entities: z.array(EntityMentionSchema).max(MAX_ENTITIES).default([]),
});
export type RawItem = z.infer<typeof RawItemSchema>;
export type RawItemInput = z.input<typeof RawItemSchema>;

/** A softmax's output: one probability per label, summing to 1 (classify rounds each to 4 decimals: 20 × 0.00005 off at most). */
const probabilities = <T extends readonly [string, ...string[]]>(labels: T) =>
  z.record(z.enum(labels), z.number().min(0).max(1)).refine(
    (p) => {
      const sum = Object.values<number>(p).reduce((a, b) => a + b, 0);
      return Math.abs(sum - 1) <= 2e-3;
    },
    { message: 'probabilities must sum to 1' },
  );

/** An entity with the sentiment the model gives it in this text (its own, not the whole text's). */
export const ScoredEntitySchema = z
  .object({ ...mentionShape, sentiment: z.enum(SENTIMENTS), sentiment_scores: probabilities(SENTIMENTS) })
  .refine(...spanIsOrdered);
export type ScoredEntity = z.infer<typeof ScoredEntitySchema>;

export const ScoredItemSchema = RawItemSchema.extend({
  entities: z.array(ScoredEntitySchema).max(MAX_ENTITIES).default([]),
  sentiment: z.enum(SENTIMENTS),
  sentiment_scores: probabilities(SENTIMENTS),
  topic: z.enum(TOPICS),
  topic_scores: probabilities(TOPICS),
  model_version: z.string().min(1),
  scored_at: storableTime,
});
export type ScoredItem = z.infer<typeof ScoredItemSchema>;

export const AlertSchema = z.object({
  schema_version: z.literal(SCHEMA_VERSION),
  /** Deterministic: the same spike on the same key and window always gets the same id. */
  id: z.string().min(1),
  kind: z.literal('negative_spike'),
  scope: z.enum(['market', 'topic', 'ticker']),
  key: z.string(),
  severity: z.enum(['warning', 'critical']),
  window_start: isoTime,
  window_end: isoTime,
  negative_count: z.number().nonnegative(),
  total_count: z.number().nonnegative(),
  negative_share: z.number().min(0).max(1),
  baseline_share: z.number().min(0).max(1),
  z_score: z.number(),
  headlines: z.array(z.object({ id: z.string(), title: z.string(), url: z.string().nullable() })).max(10),
  fired_at: isoTime,
  /** Where delivery stands; the alerts topic carries the final state of every alert. */
  delivery_state: z.enum(['pending', 'delivered', 'failed', 'not_configured', 'silenced']).default('pending'),
  /** Stored as UInt16. */
  delivery_attempts: z.number().int().nonnegative().max(65_535).default(0),
  delivery_error: z.string().nullable().default(null),
});
export type Alert = z.infer<typeof AlertSchema>;

/** What an analyst can say the model got wrong: the whole text's sentiment, its topic, or one entity's sentiment. */
export const CORRECTION_FIELDS = ['sentiment', 'topic', 'entity_sentiment'] as const;

/**
 * An analyst's correction of one label of one scored item (`finsent correct`), with who, when, the model version it
 * corrects and the label it replaces. The id is drawn once per correction, so a resend is the same correction.
 */
export const CorrectionSchema = z
  .object({
    schema_version: z.literal(SCHEMA_VERSION),
    id: z.string().regex(/^[0-9a-f]{32}$/, 'id must be 32 lowercase hex chars'),
    item_id: z.string().regex(/^[0-9a-f]{32}$/, 'item_id must be 32 lowercase hex chars'),
    field: z.enum(CORRECTION_FIELDS),
    /** The entity's name as the item carries it (entity_sentiment only). */
    entity: z.string().min(1).max(200).nullable().default(null),
    ticker: z.string().regex(TICKER_PATTERN).nullable().default(null),
    old_label: z.string().nullable(),
    new_label: z.string(),
    model_version: z.string().nullable(),
    created_by: z.string().min(1).max(100),
    created_at: storableTime,
    note: z.string().max(1_000).nullable().default(null),
  })
  .superRefine((c, ctx) => {
    const allowed: readonly string[] = c.field === 'topic' ? TOPICS : SENTIMENTS;
    if (!allowed.includes(c.new_label))
      ctx.addIssue({ code: 'custom', path: ['new_label'], message: `must be one of ${allowed.join(', ')}` });
    if ((c.field === 'entity_sentiment') !== (c.entity !== null))
      ctx.addIssue({
        code: 'custom',
        path: ['entity'],
        message: 'an entity_sentiment correction names its entity, no other does',
      });
  });
export type Correction = z.infer<typeof CorrectionSchema>;

/**
 * A candidate model's labels for one item, scored in shadow beside the live model (classify's SHADOW_MODEL_DIR) and
 * stored next to the live labels, so that `finsent compare-models` can tell how the candidate would have done.
 */
export const ShadowLabelsSchema = z.object({
  schema_version: z.literal(SCHEMA_VERSION),
  item_id: z.string().regex(/^[0-9a-f]{32}$/, 'item_id must be 32 lowercase hex chars'),
  published_at: storableTime,
  model_version: z.string().min(1),
  live_model_version: z.string().min(1),
  sentiment: z.enum(SENTIMENTS),
  sentiment_scores: probabilities(SENTIMENTS),
  topic: z.enum(TOPICS),
  topic_score: z.number().min(0).max(1),
  entities: z
    .array(z.object({ name: z.string(), ticker: z.string().nullable(), sentiment: z.enum(SENTIMENTS) }))
    .max(MAX_ENTITIES),
  scored_at: storableTime,
});
export type ShadowLabels = z.infer<typeof ShadowLabelsSchema>;

/**
 * Dead letters keep at most this much of the original payload: base64 makes it a third larger, and one dead
 * letter must stay well inside the dead-letter topic's message limit (Kafka's default, 1 MiB).
 */
export const DEAD_LETTER_PAYLOAD_MAX_BYTES = 256 * 1024;

/** What the dead-letter topic carries: the original bytes (base64) and why they were rejected. */
export const DeadLetterSchema = z.object({
  schema_version: z.literal(SCHEMA_VERSION),
  stage: z.string(),
  reason_code: z.string(),
  reason: z.string(),
  source_topic: z.string().nullable(),
  partition: z.number().int().nullable(),
  offset: z.string().nullable(),
  key: z.string().nullable(),
  /** The original bytes, base64; only the first DEAD_LETTER_PAYLOAD_MAX_BYTES of a huge payload. */
  payload_base64: z.string(),
  payload_bytes: z.number().int().nonnegative(),
  payload_truncated: z.boolean(),
  /** sha256 (hex) of the whole original payload, so a truncated one can still be matched to its source. */
  payload_sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  failed_at: isoTime,
});
export type DeadLetter = z.infer<typeof DeadLetterSchema>;

/** Human-readable summary of a zod error: `path: message; path: message`. */
export function describeZodError(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}
