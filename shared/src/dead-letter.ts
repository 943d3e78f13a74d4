/**
 * Anything a stage cannot process goes to the dead-letter topic with the original bytes and the
 * reason, so nothing is dropped silently and an operator can replay it after a fix.
 */
import { TOPIC_NAMES } from './kafka-topics.js';
import { DEAD_LETTER_PAYLOAD_MAX_BYTES, SCHEMA_VERSION, type DeadLetter } from './contracts.js';
import type { BusMessage, BusProducer } from './kafka/bus.js';

export interface Rejection {
  message: BusMessage;
  reasonCode: string;
  reason: string;
}

/** The payload fields of a dead letter: base64 of at most DEAD_LETTER_PAYLOAD_MAX_BYTES, with the original size. */
export function deadLetterPayload(payload: Buffer): Pick<DeadLetter, 'payload_base64' | 'payload_bytes' | 'payload_truncated'> {
  return {
    payload_base64: payload.subarray(0, DEAD_LETTER_PAYLOAD_MAX_BYTES).toString('base64'),
    payload_bytes: payload.length,
    payload_truncated: payload.length > DEAD_LETTER_PAYLOAD_MAX_BYTES,
  };
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

export async function publishDeadLetters(producer: BusProducer, stage: string, rejections: Rejection[]): Promise<void> {
  await producer.send(
    TOPIC_NAMES.deadLetter,
    rejections.map((r) => ({
      key: r.message.key,
      value: JSON.stringify(toDeadLetter(stage, r)),
      headers: { 'finsent-reason': r.reasonCode, 'finsent-stage': stage },
    })),
  );
}

/** Decodes and validates one message, or says why it cannot be used. */
export function parseMessage<T>(
  message: BusMessage,
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ path: PropertyKey[]; message: string }> } } },
): { ok: true; value: T } | { ok: false; reasonCode: string; reason: string } {
  if (!message.value || message.value.length === 0) return { ok: false, reasonCode: 'empty_message', reason: 'message has no value' };
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
    const reason = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
    return { ok: false, reasonCode: 'schema_violation', reason };
  }
  return { ok: true, value: parsed.data };
}
