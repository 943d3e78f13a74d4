import { describe, expect, it } from 'vitest';
import { MAX_TEXT_CHARS } from '@finsent/shared';
import { canonicalUrl, normaliseEntry, stableId } from './item.js';
import { TickerExtractor } from './tickers.js';
import { SeenIds } from './dedup.js';
import { htmlToText } from './text.js';

const tickers = new TickerExtractor([
  { ticker: 'JPM', name: 'JPMorgan Chase & Co.', aliases: ['JPMorgan', 'J.P. Morgan'] },
  { ticker: 'AAPL', name: 'Apple Inc.', aliases: ['Apple'], ambiguous: true },
]);
const now = new Date('2026-11-23T12:00:00Z');

describe('normaliseEntry', () => {
  it('builds a valid raw item with a stable id from the canonical URL', () => {
    const a = normaliseEntry(
      {
        source: 'rss:x',
        sourceKind: 'rss',
        url: 'https://News.example.com/a/?utm_source=tw#top',
        title: 'JPMorgan &amp; peers rally',
        summary: '<p>Banks <b>up</b></p>',
        publishedAt: '2026-11-23T10:00:00Z',
      },
      tickers,
      now,
    );
    const b = normaliseEntry(
      {
        source: 'rss:y',
        sourceKind: 'rss',
        url: 'https://news.example.com/a',
        title: 'other',
        publishedAt: '2026-11-23T10:00:00Z',
      },
      tickers,
      now,
    );
    expect(a.ok && b.ok).toBe(true);
    if (!a.ok || !b.ok) return;
    expect(a.item.id).toBe(b.item.id);
    expect(a.item.url).toBe('https://news.example.com/a');
    expect(a.item.title).toBe('JPMorgan & peers rally');
    expect(a.item.text).toBe('JPMorgan & peers rally. Banks up');
    expect(a.item.tickers).toEqual(['JPM']);
  });

  it('truncates a gigantic text at a word boundary and flags it', () => {
    const r = normaliseEntry(
      { source: 's', sourceKind: 'push', sourceId: '1', title: 'Huge', summary: 'word '.repeat(100_000) },
      tickers,
      now,
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.item.truncated).toBe(true);
    expect(r.item.text.length).toBeLessThanOrEqual(MAX_TEXT_CHARS);
  });

  it('rejects entries with no text or no identity, with a reason', () => {
    expect(
      normaliseEntry(
        { source: 's', sourceKind: 'rss', url: 'https://e.com/1', title: '  ', summary: '<p></p>' },
        tickers,
        now,
      ),
    ).toEqual({ ok: false, reason: 'entry has no title and no text' });
    expect(normaliseEntry({ source: 's', sourceKind: 'rss', title: 'x' }, tickers, now).ok).toBe(false);
  });

  it('clamps a publication time in the future to the fetch time and fills a missing one', () => {
    const r = normaliseEntry(
      { source: 's', sourceKind: 'rss', url: 'https://e.com/2', title: 'x', publishedAt: '2030-01-01T00:00:00Z' },
      tickers,
      now,
    );
    const m = normaliseEntry(
      { source: 's', sourceKind: 'rss', url: 'https://e.com/3', title: 'x', publishedAt: 'not a date' },
      tickers,
      now,
    );
    expect(r.ok && r.item.published_at).toBe(now.toISOString());
    expect(m.ok && m.item.published_at).toBe(now.toISOString());
  });
});

describe('tickers', () => {
  it('finds cashtags, exchange tags and company names; ambiguous names need a company cue', () => {
    expect(tickers.extract('$aapl and $TSLA rip; (NYSE: JPM) too')).toEqual(['AAPL', 'JPM', 'TSLA']);
    expect(tickers.extract('Apple shares fall after earnings')).toEqual(['AAPL']);
    expect(tickers.extract('Apple harvest hit by frost')).toEqual([]);
    expect(tickers.extract('J.P. Morgan cuts outlook')).toEqual(['JPM']);
  });
});

describe('helpers', () => {
  it('canonicalUrl drops tracking, fragments and non-http schemes', () => {
    expect(canonicalUrl('https://a.com/x?b=2&utm_medium=x&a=1#f')).toBe('https://a.com/x?a=1&b=2');
    expect(canonicalUrl('javascript:alert(1)')).toBeNull();
    expect(canonicalUrl('not a url')).toBeNull();
  });

  it('stableId is 32 hex chars and deterministic', () => {
    expect(stableId('k')).toMatch(/^[0-9a-f]{32}$/);
    expect(stableId('k')).toBe(stableId('k'));
  });

  it('htmlToText drops scripts and decodes numeric entities', () => {
    expect(htmlToText('<script>x()</script><p>Fed&#8217;s &#x201C;pivot&#x201D;</p>')).toBe('Fed’s “pivot”');
  });

  it('SeenIds reports first sightings and forgets the least recent beyond capacity', () => {
    const s = new SeenIds(2);
    expect([s.firstSighting('a'), s.firstSighting('b'), s.firstSighting('a')]).toEqual([true, true, false]);
    s.firstSighting('c'); // evicts b (a was refreshed)
    expect(s.firstSighting('a')).toBe(false);
    expect(s.firstSighting('b')).toBe(true);
  });
});

describe('implausible dates', () => {
  const at = (publishedAt: string) => {
    const r = normaliseEntry(
      { source: 'rss:x', sourceKind: 'rss', url: 'https://e.com/d', title: 'Acme rises', publishedAt },
      tickers,
      now,
    );
    if (!r.ok) throw new Error(r.reason);
    return r.item.published_at;
  };

  it('take the fetch time instead of wrapping: before 1990, and a year the date parser misread', () => {
    expect(at('Mon, 01 Jan 1850 10:00:00 GMT')).toBe(now.toISOString());
    expect(at('1960-05-01T10:00:00Z')).toBe(now.toISOString());
    expect(at('Mon, 01 Jan 0001 10:00:00 GMT')).toBe(now.toISOString()); // JavaScript reads it as 2001
    expect(at('1970-01-01T00:00:00Z')).toBe(now.toISOString());
  });

  it('keep plausible dates, RFC 822 and ISO alike', () => {
    expect(at('Mon, 23 Nov 2026 10:00:00 GMT')).toBe('2026-11-23T10:00:00.000Z');
    expect(at('2026-11-23T11:59:00+01:00')).toBe('2026-11-23T10:59:00.000Z');
    expect(at('1998-06-30T12:00:00Z')).toBe('1998-06-30T12:00:00.000Z');
    // New Year in another time zone: the stated year is UTC's plus or minus one.
    expect(at('Wed, 01 Jan 2025 01:30:00 +0200')).toBe('2024-12-31T23:30:00.000Z');
    expect(at('2024-12-31T22:00:00-05:00')).toBe('2025-01-01T03:00:00.000Z');
  });
});
