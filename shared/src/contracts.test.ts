import { describe, expect, it } from 'vitest';
import {
  ITEM_SCHEMA_VERSION,
  RawItemSchema,
  ScoredItemSchema,
  describeZodError,
  type RawItemInput,
} from './contracts.js';
import { parseMessage } from './dead-letter.js';
import { TOPICS } from './labels.js';
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
    if (!r.success)
      expect(describeZodError(r.error)).toBe('title: title contains a lone UTF-16 surrogate (invalid Unicode)');
  });

  it('accepts proper surrogate pairs (emoji, astral characters) and U+FFFD', () => {
    const r = RawItemSchema.safeParse(item({ title: 'Rocket 🚀', text: 'To the moon 🚀😀 \u{1D400} \uFFFD' }));
    expect(r.success).toBe(true);
    expect(r.success && r.data.text).toBe('To the moon 🚀😀 \u{1D400} \uFFFD');
  });

  it('scored items (which extend the raw schema) are checked as well', () => {
    const r = ScoredItemSchema.safeParse({ ...item({ text: 'x\ud800' }) });
    expect(r.success).toBe(false);
    if (!r.success)
      expect(r.error.issues.some((i) => i.message === 'text contains a lone UTF-16 surrogate (invalid Unicode)')).toBe(
        true,
      );
  });

  it('a consumer dead-letters such a message (schema_violation) instead of passing it on', () => {
    // Valid UTF-8 JSON whose \ud800 escape decodes to a lone surrogate: what a producer skipping ingest can send.
    const bad = parseMessage(message(JSON.stringify(item()).replace('Profit up', 'Profit \\ud800 up')), RawItemSchema);
    expect(bad).toEqual({
      ok: false,
      reasonCode: 'schema_violation',
      reason: 'text: text contains a lone UTF-16 surrogate (invalid Unicode)',
    });
    const good = parseMessage(
      message(JSON.stringify(item()).replace('Profit up', 'Profit \\ud83d\\ude80 up')),
      RawItemSchema,
    );
    expect(good.ok && good.value.text).toBe('JPMorgan beats. Profit 🚀 up');
  });
});

describe('odd values from any producer are refused at the contract', () => {
  const issues = (r: { success: boolean; error?: { issues: unknown[] } }) =>
    r.success ? '' : describeZodError(r.error as never);

  it('times the store cannot hold (they would wrap in its DateTime columns)', () => {
    expect(issues(RawItemSchema.safeParse(item({ published_at: '1850-01-01T00:00:00Z' })))).toContain(
      'published_at: time outside 1970-01-01',
    );
    expect(issues(RawItemSchema.safeParse(item({ fetched_at: '2200-01-01T00:00:00Z' })))).toContain(
      'fetched_at: time outside',
    );
    expect(RawItemSchema.safeParse(item({ published_at: '1970-01-01T00:00:00Z' })).success).toBe(true);
  });

  it('links that are not http(s)', () => {
    for (const url of ['javascript:alert(1)', 'data:text/html,x', 'file:///etc/passwd']) {
      expect(issues(RawItemSchema.safeParse(item({ url })))).toContain('url must be http(s)');
    }
    expect(RawItemSchema.safeParse(item({ url: 'https://e.com/a' })).success).toBe(true);
  });

  it('probabilities that do not sum to 1, and delivery attempts past the column', async () => {
    const { AlertSchema } = await import('./contracts.js');
    const scored = (negative: number) => ({
      ...item(),
      sentiment: 'negative',
      sentiment_scores: { negative, neutral: 0.1, positive: 0.1 },
      topic: 'Macro',
      topic_scores: Object.fromEntries(TOPICS.map((t) => [t, t === 'Macro' ? 1 : 0])),
      model_version: 'm',
      scored_at: '2026-11-23T10:00:02Z',
    });
    expect(issues(ScoredItemSchema.safeParse(scored(0.3)))).toContain('probabilities must sum to 1');
    expect(ScoredItemSchema.safeParse(scored(0.8)).success).toBe(true);
    const alert = {
      schema_version: 1,
      id: 'a',
      kind: 'negative_spike',
      scope: 'market',
      key: '*',
      severity: 'warning',
      window_start: '2026-11-23T10:00:00Z',
      window_end: '2026-11-23T10:05:00Z',
      negative_count: 5,
      total_count: 6,
      negative_share: 0.8,
      baseline_share: 0.2,
      z_score: 4,
      headlines: [],
      fired_at: '2026-11-23T10:05:01Z',
    };
    expect(AlertSchema.safeParse({ ...alert, delivery_attempts: 65_536 }).success).toBe(false);
    expect(AlertSchema.safeParse({ ...alert, delivery_attempts: 65_535 }).success).toBe(true);
  });
});
