/**
 * Silences: "mute this key (or pattern) until then, because …", set by a person through `finsent silence add`.
 * They live on a compacted Kafka topic, one record per silence id (a removal is the same record with `removed_at`
 * set), so they survive restarts and every alert process sees every silence: each process follows the whole topic
 * with a consumer group of its own. A silenced alert is not delivered, and is still recorded (delivery_state
 * `silenced`, delivery_error naming the silence).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SERVICE_TOPIC_SPECS, type Alert, type Bus, type Logger, type TopicConfig } from '@finsent/shared';
import { globToRegExp } from './routing.js';
import { followFromStart, readToEnd } from './compacted-topic.js';

export const SILENCES_TOPIC_SPEC: TopicConfig = SERVICE_TOPIC_SPECS.silences;
export const SILENCES_TOPIC = SILENCES_TOPIC_SPEC.topic;

const isoDate = z.iso.datetime({ offset: true });

export const SilenceSchema = z.strictObject({
  v: z.literal(1),
  id: z.string().regex(/^[0-9a-f]{12}$/),
  /** Null: any scope. */
  scope: z.enum(['market', 'topic', 'ticker']).nullable(),
  /** Glob on the alert key (`HRBL`, `Fed*`, `*`). */
  key: z.string().min(1).max(200),
  ends_at: isoDate,
  reason: z.string().min(1).max(500),
  created_by: z.string().min(1).max(100),
  created_at: isoDate,
  removed_at: isoDate.nullable().default(null),
  removed_by: z.string().max(100).nullable().default(null),
});
export type Silence = z.infer<typeof SilenceSchema>;

export function newSilence(o: {
  scope: Silence['scope'];
  key: string;
  endsAt: Date;
  reason: string;
  by: string;
  now?: Date;
}): Silence {
  const now = o.now ?? new Date();
  return SilenceSchema.parse({
    v: 1,
    id: randomBytes(6).toString('hex'),
    scope: o.scope,
    key: o.key,
    ends_at: o.endsAt.toISOString(),
    reason: o.reason,
    created_by: o.by,
    created_at: now.toISOString(),
  });
}

/** Whether `s` mutes `alert` at `nowMs`: not removed, started, not ended, same scope (or any) and the key matches. */
export function mutes(s: Silence, alert: Pick<Alert, 'scope' | 'key'>, nowMs: number): boolean {
  return (
    s.removed_at === null &&
    Date.parse(s.created_at) <= nowMs &&
    nowMs < Date.parse(s.ends_at) &&
    (s.scope === null || s.scope === alert.scope) &&
    globToRegExp(s.key).test(alert.key)
  );
}

/** What `delivery_error` says of a silenced alert. */
export const silenceNote = (s: Silence) => `silenced by ${s.id} (${s.created_by}, until ${s.ends_at}): ${s.reason}`;

/** The newest record of each silence, as read from the topic. */
export class SilenceBook {
  private readonly byId = new Map<string, Silence>();

  apply(s: Silence): void {
    this.byId.set(s.id, s);
  }

  get(id: string): Silence | undefined {
    return this.byId.get(id);
  }

  /** Every silence, newest first. */
  all(): Silence[] {
    return [...this.byId.values()].sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  /** The silence that mutes `alert` now, if any (the one that lasts longest). */
  muting(alert: Pick<Alert, 'scope' | 'key'>, nowMs = Date.now()): Silence | undefined {
    return this.all()
      .filter((s) => mutes(s, alert, nowMs))
      .sort((a, b) => b.ends_at.localeCompare(a.ends_at))[0];
  }
}

/** Parses one record of the topic; a malformed one (a tool's bug) is reported and skipped. */
function take(book: SilenceBook, value: Buffer | null, logger?: Logger): void {
  if (!value) return;
  try {
    book.apply(SilenceSchema.parse(JSON.parse(value.toString('utf8'))));
  } catch (err) {
    logger?.warn({ err }, 'skipped a malformed record on the silences topic');
  }
}

/** The silences as they stand now (for `finsent silence list` and `remove`). */
export async function readSilences(bus: Bus, topic = SILENCES_TOPIC): Promise<SilenceBook> {
  const book = new SilenceBook();
  await bus.ensureTopics([{ ...SILENCES_TOPIC_SPEC, topic }]);
  await readToEnd(bus, topic, (m) => take(book, m.value), { groupPrefix: 'finsent-silences-read' });
  return book;
}

export async function writeSilence(bus: Bus, s: Silence, topic = SILENCES_TOPIC): Promise<void> {
  await bus.ensureTopics([{ ...SILENCES_TOPIC_SPEC, topic }]);
  const producer = await bus.producer();
  try {
    await producer.send(topic, [{ key: s.id, value: JSON.stringify(SilenceSchema.parse(s)) }]);
  } finally {
    await producer.close();
  }
}

/**
 * Follows the silences topic for the life of an alert process: resolves once it has read what the topic held at
 * start (an alert fired right after a restart still sees yesterday's silence), then keeps applying new records.
 */
export async function followSilences(o: {
  bus: Bus;
  book: SilenceBook;
  logger: Logger;
  topic?: string;
  timeoutMs?: number;
}): Promise<{ close(): Promise<void> }> {
  const topic = o.topic ?? SILENCES_TOPIC;
  await o.bus.ensureTopics([{ ...SILENCES_TOPIC_SPEC, topic }]);
  // A group of its own: every process must see every silence, which a shared group would split between them.
  const consumer = await followFromStart(o.bus, topic, (m) => take(o.book, m.value, o.logger), {
    groupPrefix: 'finsent-alert-silences',
    timeoutMs: o.timeoutMs,
    maxWaitTimeMs: 250,
  });
  return { close: () => consumer.close() };
}
