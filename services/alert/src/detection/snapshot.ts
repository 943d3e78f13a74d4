/**
 * The detector's state as it survives a restart: per key its baseline, alert state, CUSUMs and the minutes
 * still in its window, plus the last evaluated minute. The state store writes it to a compacted Kafka topic
 * and a new process reads it back, possibly one built from other code, so the format is versioned and every
 * snapshot is validated before it touches a detector: a bad one fails with where and why, rather than
 * restoring NaN baselines that would then never fire (or always).
 *
 * Versions:
 *   1: no `version` field; what detectors wrote before this schema. Fields added over time (`learned`, the
 *      CUSUMs, the item rate) may be missing and get the values a key starts with (see migrateV1).
 *   2: `version: 2`, every field present.
 * A new format gets a new version and a migration from the one before, so that a running deployment keeps
 * its baselines across the upgrade.
 */
import { z } from 'zod';
import { AlertSchema } from '@finsent/shared';
import { emptyRun, type KeyState } from './key-state.js';

export const SNAPSHOT_VERSION = 2 as const;

/** Minutes since the epoch (event time), as the detector buckets items. */
const minute = z.number().int();
/** A weighted count of items: novelty makes it fractional, never negative. */
const count = z.number().nonnegative();

const HeadlineSchema = z.object({ id: z.string(), title: z.string(), url: z.string().nullable(), p: z.number() });

/** One minute of one key: weighted items, negatives, and the most negative headlines. */
const BucketSchema = z.object({ total: count, negative: count, headlines: z.array(HeadlineSchema) });
export type Bucket = z.infer<typeof BucketSchema>;

/** A CUSUM's items since it last left 0: the spike since its estimated onset. */
const RunSchema = z.object({
  total: count,
  negative: count,
  headlines: z.array(HeadlineSchema),
  fromMinute: minute.nullable(),
});
export type Run = z.infer<typeof RunSchema>;

export const KeySnapshotSchema = z.object({
  scope: AlertSchema.shape.scope,
  key: z.string(),
  /** Baseline negative share (EWMA) and its variance beyond sampling noise. */
  mean: z.number(),
  variance: z.number(),
  /** Items the baseline has learnt from; a key fires only once it reaches warmupItems. */
  learned: count,
  armed: z.boolean(),
  /** null: never fired (JSON has no -Infinity). */
  lastFiredMinute: minute.nullable(),
  /** [minute, counts] for the minutes still in the window. */
  buckets: z.array(z.tuple([minute, BucketSchema])),
  /** Share CUSUM statistic (log-likelihood ratio, >= 0) and its run since onset. */
  cusum: count,
  run: RunSchema,
  /** EWMA of items per minute with data, for the share CUSUM's design shift. */
  volume: count,
  /** Items per minute, quiet minutes included (the share-and-volume CUSUM's baseline): Holt level and trend. */
  rate: count,
  rateTrend: z.number(),
  /** The last minute `rate` has accounted for (null: none yet). */
  rateMinute: minute.nullable(),
  /** Share-and-volume CUSUM statistic (>= 0), the event time it was last brought up to, and its run. */
  rateCusum: count,
  rateCusumAtMs: z.number(),
  rateRun: RunSchema,
});
export type KeySnapshot = z.infer<typeof KeySnapshotSchema>;

export const DetectorSnapshotSchema = z.object({
  version: z.literal(SNAPSHOT_VERSION),
  /** Last evaluated minute (null: none yet); a restored detector never evaluates it again. */
  closedMinute: minute.nullable(),
  keys: z.array(KeySnapshotSchema),
});
export type DetectorSnapshot = z.infer<typeof DetectorSnapshotSchema>;

/** Version 1: the fields that came after the first snapshots may be missing. */
const DetectorSnapshotV1Schema = z.object({
  version: z.literal(1).optional(),
  closedMinute: minute.nullable(),
  keys: z.array(
    KeySnapshotSchema.partial({
      learned: true,
      cusum: true,
      run: true,
      volume: true,
      rate: true,
      rateTrend: true,
      rateMinute: true,
      rateCusum: true,
      rateCusumAtMs: true,
      rateRun: true,
    }),
  ),
});
export type DetectorSnapshotV1 = z.infer<typeof DetectorSnapshotV1Schema>;

/** Any snapshot restore() accepts: the current version, or an older one it migrates. */
export type StoredDetectorSnapshot = DetectorSnapshot | DetectorSnapshotV1;

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/**
 * Validates `input` and brings it to the current version. `warmupItems` stands in for `learned` where a
 * version 1 snapshot lacks it: such keys predate warm-up, and had been running long enough to be warmed up.
 * Throws SnapshotError naming the version and the first offending fields.
 */
export function readSnapshot(input: unknown, warmupItems: number): DetectorSnapshot {
  const version = typeof input === 'object' && input !== null && 'version' in input ? input.version : undefined;
  if (version === SNAPSHOT_VERSION) return parse(DetectorSnapshotSchema, input, version);
  if (version === undefined || version === 1) return migrateV1(parse(DetectorSnapshotV1Schema, input, 1), warmupItems);
  throw new SnapshotError(
    `unknown detector snapshot version ${JSON.stringify(version)}: this build reads versions 1 (or none) to ` +
      `${SNAPSHOT_VERSION}; was it written by a newer build?`,
  );
}

/** Version 1 to 2: what a missing field meant to the code that wrote it. */
export function migrateV1(snap: DetectorSnapshotV1, warmupItems: number): DetectorSnapshot {
  return {
    version: SNAPSHOT_VERSION,
    closedMinute: snap.closedMinute,
    keys: snap.keys.map((k) => ({
      ...k,
      learned: k.learned ?? warmupItems,
      cusum: k.cusum ?? 0,
      run: k.run ?? emptyRun(),
      volume: k.volume ?? 0,
      rate: k.rate ?? 0,
      rateTrend: k.rateTrend ?? 0,
      rateMinute: k.rateMinute ?? null,
      rateCusum: k.rateCusum ?? 0,
      rateCusumAtMs: k.rateCusumAtMs ?? 0,
      rateRun: k.rateRun ?? emptyRun(),
    })),
  };
}

function parse<T>(schema: z.ZodType<T>, input: unknown, version: number): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new SnapshotError(`malformed detector snapshot (version ${version}): ${describeIssues(parsed.error, input)}`);
}

/**
 * `path: message` for the first few issues, a key named by its scope and key rather than its index (a state
 * with thousands of tickers has thousands of keys, and one bad record tends to make many issues).
 */
function describeIssues(err: z.ZodError, input: unknown): string {
  const keys = typeof input === 'object' && input !== null && 'keys' in input ? input.keys : undefined;
  const shown = err.issues.slice(0, 3).map((issue) => {
    const [first, index, ...rest] = issue.path;
    const k = first === 'keys' && typeof index === 'number' && Array.isArray(keys) ? keys[index] : undefined;
    const name = k && typeof k === 'object' ? ` (${String(k.scope)}:${String(k.key)})` : '';
    const field = rest.map((p) => `.${String(p)}`).join('');
    const path = name ? `keys[${String(index)}]${name}${field}` : issue.path.join('.');
    return `${path || '(root)'}: ${issue.message}`;
  });
  const more = err.issues.length - shown.length;
  return shown.join('; ') + (more > 0 ? `; and ${more} more` : '');
}

/** The JSON form of one key: minutes as pairs, "never fired" as null. */
export function toKeySnapshot(s: KeyState): KeySnapshot {
  const lastFiredMinute = Number.isFinite(s.lastFiredMinute) ? s.lastFiredMinute : null;
  return { ...s, lastFiredMinute, buckets: [...s.buckets] };
}

export function fromKeySnapshot(k: KeySnapshot): KeyState {
  return { ...k, lastFiredMinute: k.lastFiredMinute ?? -Infinity, buckets: new Map(k.buckets) };
}
