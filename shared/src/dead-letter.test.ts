import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEAD_LETTER_PAYLOAD_MAX_BYTES, DeadLetterSchema } from './contracts.js';
import { DEAD_LETTER_SEND_MAX_BYTES, chunkBySize, deadLetterPayload, toDeadLetter } from './dead-letter.js';

const record = (bytes: number, key = 'k') => ({ key, value: 'x'.repeat(bytes) });

describe('chunkBySize', () => {
  it('keeps records in order and each chunk within the limit', () => {
    const records = [300, 300, 300, 50, 700, 10].map((n, i) => record(n, String(i)));
    const chunks = chunkBySize(records, 1_000);
    expect(chunks.flat().map((r) => r.key)).toEqual(['0', '1', '2', '3', '4', '5']);
    expect(chunks.map((c) => c.map((r) => r.key))).toEqual([
      ['0', '1', '2', '3'],
      ['4', '5'],
    ]);
  });

  it('sends a record bigger than the limit alone rather than dropping it', () => {
    const chunks = chunkBySize([record(10), record(5_000), record(10)], 1_000);
    expect(chunks.map((c) => c.length)).toEqual([1, 1, 1]);
  });

  it('returns no chunk for no record', () => {
    expect(chunkBySize([], 1_000)).toEqual([]);
  });
});

describe('dead letters of big payloads', () => {
  it('truncate the payload but keep its size and the hash of all of it', () => {
    const payload = Buffer.alloc(DEAD_LETTER_PAYLOAD_MAX_BYTES + 1_000, 0x61);
    const fields = deadLetterPayload(payload);
    expect(fields.payload_truncated).toBe(true);
    expect(fields.payload_bytes).toBe(payload.length);
    expect(Buffer.from(fields.payload_base64, 'base64').length).toBe(DEAD_LETTER_PAYLOAD_MAX_BYTES);
    expect(fields.payload_sha256).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('fit one dead letter of the largest kept payload inside one send', () => {
    const message = {
      topic: 't',
      partition: 0,
      offset: '1',
      key: 'k',
      value: Buffer.alloc(4 << 20, 0xff),
      timestamp: 0,
      headers: {},
    };
    const letter = toDeadLetter('classify', { message, reasonCode: 'invalid_utf8', reason: 'x'.repeat(10_000) });
    expect(DeadLetterSchema.parse(letter)).toEqual(letter);
    expect(Buffer.byteLength(JSON.stringify(letter))).toBeLessThan(DEAD_LETTER_SEND_MAX_BYTES);
  });
});
