/**
 * Anything a stage cannot process goes to the dead-letter topic with the original bytes and the
 * reason, so nothing is dropped silently and an operator can replay it after a fix.
 */
import { createHash } from 'node:crypto';
import { Counter, type Registry } from 'prom-client';
import { TOPIC_NAMES } from './kafka-topics.js';
import type { Logger } from './logger.js';
import { DEAD_LETTER_PAYLOAD_MAX_BYTES, SCHEMA_VERSION, type DeadLetter } from './contracts.js';
import type { BusMessage, BusProducer, BusRecord } from './kafka/bus.js';

export interface Rejection {
  message: BusMessage;
  reasonCode: string;
  reason: string;
}

/**
 * The most bytes of dead letters one produce carries. Kafka refuses a record batch larger than the topic's
 * max.message.bytes (1 MiB by default) as a whole, so ten big poison messages dead-lettered in one send would
 * fail every time and stall the stage behind them; sends are split below that limit instead.
 */
export const DEAD_LETTER_SEND_MAX_BYTES = 768 * 1024;

/** The payload fields of a dead letter: base64 of at most DEAD_LETTER_PAYLOAD_MAX_BYTES, with the original size and hash. */
export function deadLetterPayload(
  payload: Buffer,
): Pick<DeadLetter, 'payload_base64' | 'payload_bytes' | 'payload_truncated' | 'payload_sha256'> {
  return {
    payload_base64: payload.subarray(0, DEAD_LETTER_PAYLOAD_MAX_BYTES).toString('base64'),
    payload_bytes: payload.length,
    payload_truncated: payload.length > DEAD_LETTER_PAYLOAD_MAX_BYTES,
    payload_sha256: createHash('sha256').update(payload).digest('hex'),
  };
}

/** Consecutive groups of records whose serialised values add up to at most `maxBytes` (a bigger record alone). */
export function chunkBySize(records: BusRecord[], maxBytes: number): BusRecord[][] {
  const chunks: BusRecord[][] = [];
  let current: BusRecord[] = [];
  let size = 0;
  for (const r of records) {
    const bytes = Buffer.byteLength(r.value) + Buffer.byteLength(r.key ?? '');
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(r);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export function toDeadLetter(stage: string, r: Rejection, now = new Date()): DeadLetter {
  return {
    schema_version: SCHEMA_VERSION,
    stage,
    reason_code: r.reasonCode,
    reason: r.reason.slice(0, 2_000),
    source_topic: r.message.topic,
    partition: r.message.partition,
    offset: r.message.offset,
    key: r.message.key,
    ...deadLetterPayload(r.message.value ?? Buffer.alloc(0)),
    failed_at: now.toISOString(),
  };
}

/** `finsent_dead_letters_total{stage,reason}`: the same counter in every service. */
export function deadLetterCounter(registry: Registry): Counter<'stage' | 'reason'> {
  return new Counter({
    name: 'finsent_dead_letters_total',
    help: 'Messages sent to the dead-letter topic',
    labelNames: ['stage', 'reason'],
    registers: [registry],
  });
}

/** Counts, logs with its position and reason, and publishes each rejected message (none: no-op). */
export async function publishDeadLetters(
  producer: BusProducer,
  stage: string,
  rejections: Rejection[],
  report: { counter: Counter<'stage' | 'reason'>; logger: Logger },
): Promise<void> {
  if (rejections.length === 0) return;
  for (const r of rejections) {
    report.counter.inc({ stage, reason: r.reasonCode });
    report.logger.warn(
      {
        stage,
        topic: r.message.topic,
        partition: r.message.partition,
        offset: r.message.offset,
        key: r.message.key,
        reason: r.reasonCode,
        detail: r.reason,
      },
      'dead-lettering message',
    );
  }
  const records = rejections.map((r) => ({
    key: r.message.key,
    value: JSON.stringify(toDeadLetter(stage, r)),
    headers: { 'finsent-reason': r.reasonCode, 'finsent-stage': stage },
  }));
  for (const chunk of chunkBySize(records, DEAD_LETTER_SEND_MAX_BYTES))
    await producer.send(TOPIC_NAMES.deadLetter, chunk);
}

/** Decodes and validates one message, or says why it cannot be used. */
export function parseMessage<T>(
  message: BusMessage,
  schema: {
    safeParse(
      v: unknown,
    ):
      | { success: true; data: T }
      | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } };
  },
): { ok: true; value: T } | { ok: false; reasonCode: string; reason: string } {
  if (!message.value || message.value.length === 0)
    return { ok: false, reasonCode: 'empty_message', reason: 'message has no value' };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(message.value);
  } catch {
    return { ok: false, reasonCode: 'invalid_utf8', reason: 'message value is not valid UTF-8' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reasonCode: 'invalid_json', reason: `message value is not JSON: ${(err as Error).message}` };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`)
      .join('; ');
    return { ok: false, reasonCode: 'schema_violation', reason };
  }
  return { ok: true, value: parsed.data };
}
