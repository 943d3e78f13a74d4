import { describe, expect, it } from 'vitest';
import { ITEM_SCHEMA_VERSION, RawItemSchema, ScoredItemSchema, describeZodError, type RawItemInput } from './contracts.js';
import { parseMessage } from './dead-letter.js';
import type { BusMessage } from './kafka/bus.js';

const item = (over: Partial<RawItemInput> = {}): RawItemInput => ({
  schema_version: ITEM_SCHEMA_VERSION,
  id: '0123456789abcdef0123456789abcdef',
  source: 'push:crm',
  source_kind: 'push',
  url: null,
  title: 'JPMorgan beats',
  text: 'JPMorgan beats. Profit up',
  published_at: '2026-11-23T10:00:00Z',
  fetched_at: '2026-11-23T10:00:01Z',
  ...over,
});

const message = (value: string): BusMessage => ({
  topic: 'finsent.raw-items.v1',
  partition: 0,
  offset: '0',
  key: null,
  value: Buffer.from(value, 'utf8'),
  timestamp: 0,
  headers: {},
});

describe('RawItemSchema: well-formed Unicode only', () => {
  it('rejects a lone surrogate in text, with a clear message', () => {
    for (const text of ['Profit \ud800 up', 'Profit \udfff up', 'ends high\ud83d', '\ude00starts low']) {
      const r = RawItemSchema.safeParse(item({ text }));
      expect(r.success).toBe(false);
      if (r.success) continue;
      expect(describeZodError(r.error)).toBe('text: text contains a lone UTF-16 surrogate (invalid Unicode)');
    }
  });

  it('rejects a lone surrogate in title', () => {
    const r = RawItemSchema.safeParse(item({ title: 'JPMorgan \ud800' }));
    expect(r.success).toBe(false);
    if (!r.success) expect(describeZodError(r.error)).toBe('title: title contains a lone UTF-16 surrogate (invalid Unicode)');
  });

  it('accepts proper surrogate pairs (emoji, astral characters) and U+FFFD', () => {
    const r = RawItemSchema.safeParse(item({ title: 'Rocket 🚀', text: 'To the moon 🚀😀 \u{1D400} \uFFFD' }));
    expect(r.success).toBe(true);
    expect(r.success && r.data.text).toBe('To the moon 🚀😀 \u{1D400} \uFFFD');
  });

  it('scored items (which extend the raw schema) are checked as well', () => {
    const r = ScoredItemSchema.safeParse({ ...item({ text: 'x\ud800' }) });
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues.some((i) => i.message === 'text contains a lone UTF-16 surrogate (invalid Unicode)')).toBe(true);
  });

  it('a consumer dead-letters such a message (schema_violation) instead of passing it on', () => {
    // Valid UTF-8 JSON whose \ud800 escape decodes to a lone surrogate: what a producer skipping ingest can send.
    const bad = parseMessage(message(JSON.stringify(item()).replace('Profit up', 'Profit \\ud800 up')), RawItemSchema);
    expect(bad).toEqual({ ok: false, reasonCode: 'schema_violation', reason: 'text: text contains a lone UTF-16 surrogate (invalid Unicode)' });
    const good = parseMessage(message(JSON.stringify(item()).replace('Profit up', 'Profit \\ud83d\\ude80 up')), RawItemSchema);
    expect(good.ok && good.value.text).toBe('JPMorgan beats. Profit 🚀 up');
  });
});
