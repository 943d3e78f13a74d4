import { describe, expect, it } from 'vitest';
import { RawItemSchema } from '@finsent/shared';
import { normaliseEntry, type SourceEntry } from './item.js';
import { splitBody } from './push.js';
import { parseFeed } from './sources/feed-parser.js';
import { parseEntryObject } from './sources/ndjson.js';
import { MAX_MARKUP_CHARS, cleanText, htmlToText } from './text.js';
import { TickerExtractor } from './tickers.js';

const tickers = new TickerExtractor([{ ticker: 'JPM', name: 'JPMorgan Chase & Co.', aliases: ['JPMorgan'] }]);
const now = new Date('2026-11-23T12:00:00Z');
const FFFD = '\uFFFD';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// eslint-disable-next-line no-control-regex -- the control characters are what the test looks for
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;

/** Well-formed (no lone surrogate: what ClickHouse refuses), no control characters. */
function expectClean(s: string): void {
  expect(LONE_SURROGATE.test(s), JSON.stringify(s)).toBe(false);
  expect(CONTROL.test(s), JSON.stringify(s)).toBe(false);
  // Round-trips through UTF-8 unchanged, as the row ClickHouse stores would.
  expect(new TextDecoder('utf-8', { fatal: true }).decode(new TextEncoder().encode(s))).toBe(s);
}

function normalise(e: Partial<SourceEntry>) {
  const r = normaliseEntry({ source: 'rss:x', sourceKind: 'rss', url: 'https://e.com/a', ...e }, tickers, now);
  if (!r.ok) throw new Error(`not normalised: ${r.reason}`);
  expectClean(r.item.title);
  expectClean(r.item.text);
  expect(RawItemSchema.safeParse(r.item).success).toBe(true);
  return r.item;
}

describe('entity references', () => {
  it('to surrogates, to 0 and beyond U+10FFFF become U+FFFD', () => {
    expect(htmlToText('a&#xD800;b&#xdfff;c&#55296;d')).toBe(`a${FFFD}b${FFFD}c${FFFD}d`);
    expect(htmlToText('a&#0;b&#x110000;c&#99999999999999999999999;d')).toBe(`a${FFFD}b${FFFD}c${FFFD}d`);
    // A pair spelled as two references is two invalid characters (as in HTML), never a lone half.
    expect(htmlToText('&#xD83D;&#xDE00;')).toBe(`${FFFD}${FFFD}`);
  });

  it('to real characters are decoded, astral ones included', () => {
    expect(htmlToText('&#x1F680; &#128640; &#x10FFFF; &#xD7FF; &#xE000;')).toBe('🚀 🚀 \u{10FFFF} \uD7FF \uE000');
    expect(htmlToText('AT&amp;T &lt;3 &ndash; S&P 500 &hellip;')).toBe('AT&T <3 – S&P 500 …');
  });
});

describe('cleanText', () => {
  it('replaces lone surrogates with U+FFFD and keeps surrogate pairs', () => {
    expect(cleanText('a\ud800b')).toBe(`a${FFFD}b`);
    expect(cleanText('a\udc00b')).toBe(`a${FFFD}b`);
    expect(cleanText('end\ud83d')).toBe(`end${FFFD}`);
    expect(cleanText('\ude00start')).toBe(`${FFFD}start`);
    expect(cleanText('\udc00\ud800')).toBe(`${FFFD}${FFFD}`); // low then high: not a pair
    expect(cleanText('rocket 🚀 and 😀')).toBe('rocket 🚀 and 😀');
  });

  it('turns C0, DEL and C1 controls into spaces, keeps tab and newline, never changes the length', () => {
    expect(cleanText('a\u0000b\u0007c\u001bd\u007fe\u0085f\u009fg')).toBe('a b c d e f g');
    expect(cleanText('a\tb\nc')).toBe('a\tb\nc');
    const s = 'x\ud800\u0001y😀';
    expect(cleanText(s)).toHaveLength(s.length);
    expect(cleanText(cleanText(s))).toBe(cleanText(s));
  });
});

describe('htmlToText', () => {
  it('never yields a lone surrogate or a control character, whatever the references say', () => {
    expect(htmlToText('<p>Fed&#xD800; cuts</p>')).toBe(`Fed${FFFD} cuts`);
    // As browsers do: a reference to a C1 control means the Windows-1252 character (&#x9F; is Ÿ, &#x85; …).
    expect(htmlToText('a&#1;b&#x9F;c')).toBe('a bŸc');
    expect(htmlToText('a&#x85;b&#13;c&#x81;d')).toBe('a…b c d');
  });
});

describe('htmlToText on messy and hostile markup', () => {
  it('strips HTML that a feed escaped twice (tags and comments that were still markup after one decoding)', () => {
    // What rss-parser hands over for Reddit's description: one level of escaping already decoded by the XML parser.
    const once =
      '&lt;!-- SC_OFF --&gt;&lt;div class=&quot;md&quot;&gt;&lt;p&gt;Fed &amp;amp; ECB hold&lt;/p&gt;&lt;/div&gt;';
    expect(htmlToText(once)).toBe('Fed & ECB hold');
  });

  it('keeps the rest of a headline that names a tag it never closes', () => {
    expect(htmlToText('Hackers slip &lt;script&gt; into npm packages')).toBe('Hackers slip into npm packages');
    expect(htmlToText('Hackers slip <script> into npm packages')).toBe('Hackers slip into npm packages');
    expect(htmlToText('a &lt;title&gt; b')).toBe('a b');
    expect(htmlToText('<p>x</p><script>var a = 1;</script><p>y</p>')).toBe('x y');
  });

  it('keeps text that merely mentions angle brackets', () => {
    expect(htmlToText('EPS &lt; estimates; margin <b>up</b> 3 > 2')).toBe('EPS < estimates; margin up 3 > 2');
  });

  it('separates words at block boundaries and drops scripts, styles and comments', () => {
    expect(htmlToText('<p>Rates</p><p>rise</p><br/>today<style>p{}</style><!-- x --><SCRIPT>alert(1)</SCRIPT>')).toBe(
      'Rates rise today',
    );
  });

  it('is linear on runs of < and of unclosed tags (a regex tag stripper is quadratic there)', () => {
    const t0 = performance.now();
    for (const hostile of [
      '<'.repeat(1_000_000),
      '<a'.repeat(500_000),
      '<script>'.repeat(100_000),
      '&#'.repeat(500_000),
    ]) {
      expect(htmlToText(hostile).length).toBeLessThanOrEqual(MAX_MARKUP_CHARS);
    }
    // Generous: the quadratic version took minutes on the first input alone.
    expect(performance.now() - t0).toBeLessThan(20_000);
  });
});

describe('normaliseEntry gives well-formed text from every source', () => {
  it('a feed whose title holds &amp;#xD800; (decoded by the XML parser to &#xD800;, then by us)', async () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>t</title>
<item><title>JPMorgan &amp;#xD800; rallies</title><link>https://e.com/1</link><description>&lt;p&gt;Banks &amp;#xDC00;up&lt;/p&gt;</description></item>
</channel></rss>`;
    const { entries } = await parseFeed(Buffer.from(xml), 'application/rss+xml', 'rss:x');
    expect(entries).toHaveLength(1);
    const item = normalise(entries[0]!);
    expect(item.title).toBe(`JPMorgan ${FFFD} rallies`);
    expect(item.text).toBe(`JPMorgan ${FFFD} rallies. Banks ${FFFD}up`);
    expect(item.tickers).toEqual(['JPM']);
  });

  it('a title holding &#xD800; (HTML reference) or &amp;#xD800; (one level of escaping, left as text)', () => {
    expect(normalise({ title: 'Fed &#xD800; pivot' }).title).toBe(`Fed ${FFFD} pivot`);
    expect(normalise({ title: 'Fed &amp;#xD800; pivot' }).title).toBe('Fed &#xD800; pivot');
  });

  it('a pushed item whose text holds \\ud800 (a JSON escape)', () => {
    const split = splitBody(
      '[{"id":"7","title":"JPMorgan \\ud800 beats","text":"Profit \\udfff up \\ud83d\\ude80"}]',
      'json',
    );
    if (!split.ok || !('value' in split.items[0]!)) throw new Error('body not split');
    const parsed = parseEntryObject(split.items[0].value, { defaultSource: 'push', sourceKind: 'push' });
    if (!parsed.ok) throw new Error(parsed.reason);
    const item = normalise(parsed.entry);
    expect(item.title).toBe(`JPMorgan ${FFFD} beats`);
    expect(item.text).toBe(`JPMorgan ${FFFD} beats. Profit ${FFFD} up 🚀`);
  });

  it('control characters become (folded) spaces; the rest of the text is kept', () => {
    const item = normalise({
      title: 'JPMorgan\u0000shares\u0007 rise\u009b',
      summary: 'Q3\u001b[31m beat\u0085\r\nestimates\t ok',
    });
    expect(item.title).toBe('JPMorgan shares rise');
    expect(item.text).toBe('JPMorgan shares rise. Q3 [31m beat estimates ok');
  });

  it('entity offsets point into the cleaned text', () => {
    const item = normalise({ title: '\ud800\u0001JPMorgan\ud800 &#xD800; JPMorgan' });
    expect(item.text).toBe(`${FFFD} JPMorgan${FFFD} ${FFFD} JPMorgan`);
    expect(item.entities.length).toBeGreaterThan(0);
    for (const e of item.entities) expect(item.text.slice(e.start, e.end)).toBe('JPMorgan');
  });
});
