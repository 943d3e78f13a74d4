import { describe, expect, it } from 'vitest';
import { entityTokenRanges, findTargets, normalisedOffset } from './entity-spans.js';
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
    const spans = [{ start: 0, end: 4 }, { start: text.indexOf('Beta'), end: text.indexOf('Beta') + 9 }];
    expect(entityTokenRanges(text, spans, countWords, 9)).toEqual([[1, 2], [5, 7]]);
  });

  it('falls back to [CLS] for a span truncated away or an empty span', () => {
    const text = 'one two three four five Acme';
    expect(entityTokenRanges(text, [{ start: 24, end: 28 }], countWords, 4)).toEqual([[0, 1]]);
    expect(entityTokenRanges(text, [{ start: 0, end: 0 }], countWords, 10)).toEqual([[0, 1]]);
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
