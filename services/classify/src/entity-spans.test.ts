import { describe, expect, it } from 'vitest';
import { entityTokenRanges, findTargets, normalisedOffset, windowEnd } from './entity-spans.js';
import { normaliseText } from './normalise.js';

// One "token" per word or punctuation mark: enough to check the position arithmetic.
const countWords = (s: string) => (s.match(/\w+|[^\w\s]/g) ?? []).length;

describe('normalisedOffset', () => {
  it('maps offsets through whitespace collapsing, cashtags, URLs and entities', () => {
    const raw = '  Big   news: $ACME &amp; Beta  https://x.example/a up';
    const norm = normaliseText(raw);
    const at = (s: string) => normalisedOffset(raw, raw.indexOf(s));
    expect(norm.slice(at('$ACME'), at('$ACME') + 4)).toBe('ACME');
    expect(norm.slice(at('Beta'), at('Beta') + 4)).toBe('Beta');
    expect(norm.slice(normalisedOffset(raw, raw.indexOf(' up') + 1))).toBe('up');
    expect(normalisedOffset(raw, 0)).toBe(0);
  });
});

describe('entityTokenRanges', () => {
  it('gives each span its own token positions after [CLS]', () => {
    const text = 'Acme beats estimates as Beta Corp plunges';
    const spans = [
      { start: 0, end: 4 },
      { start: text.indexOf('Beta'), end: text.indexOf('Beta') + 9 },
    ];
    expect(entityTokenRanges(text, normaliseText(text), spans, countWords, 9)).toEqual([
      [1, 2],
      [5, 7],
    ]);
  });

  it('gives null for a span truncated away or an empty span (the entity then takes the whole-text label)', () => {
    const text = 'one two three four five Acme';
    expect(entityTokenRanges(text, normaliseText(text), [{ start: 24, end: 28 }], countWords, 4)).toEqual([null]);
    expect(entityTokenRanges(text, normaliseText(text), [{ start: 0, end: 0 }], countWords, 10)).toEqual([null]);
  });

  it('gives the same ranges with the window bound as without it, counting only inside the window', () => {
    const text = 'one two three Acme four five Beta six seven eight';
    const spans = [
      { start: 14, end: 18 },
      { start: 29, end: 33 },
    ];
    const counted: string[] = [];
    const counting = (s: string) => (counted.push(s), countWords(s));
    const length = 7; // [CLS] + 5 tokens + [SEP]
    const window = windowEnd(normaliseText(text), length - 2, countWords);
    expect(normaliseText(text).slice(0, window)).toBe('one two three Acme four');
    expect(windowEnd('short text', 5, countWords)).toBe(10);
    expect(entityTokenRanges(text, normaliseText(text), spans, counting, length, window)).toEqual(
      entityTokenRanges(text, normaliseText(text), spans, countWords, length),
    );
    expect(entityTokenRanges(text, normaliseText(text), spans, countWords, length)).toEqual([[4, 5], null]);
    expect(Math.max(...counted.map((s) => s.length))).toBeLessThanOrEqual(window);
  });
});

describe('findTargets', () => {
  it('finds the first case-insensitive occurrence and reports names the text lacks', () => {
    expect(findTargets('Gold shines; silver dull as GOLD ETFs rise', ['gold', 'Silver', 'Copper'])).toEqual([
      { start: 0, end: 4 },
      { start: 13, end: 19 },
      null,
    ]);
  });
});
