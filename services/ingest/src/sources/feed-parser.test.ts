import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FinsentError } from '@finsent/shared';
import { decodeFeedBytes, parseFeed } from './feed-parser.js';

const fixture = (name: string) => readFileSync(new URL(`../../../../test/fixtures/feeds/${name}`, import.meta.url));

describe('parseFeed', () => {
  it('reads RSS 2.0 with HTML descriptions, CDATA and mixed time zones', async () => {
    const { entries } = await parseFeed(fixture('rss2.xml'), 'application/rss+xml', 'rss:fixture');
    expect(entries).toHaveLength(5);
    expect(entries.every((e) => e.sourceKind === 'rss' && e.url?.startsWith('https://fixtures.example.com/'))).toBe(
      true,
    );
    expect(entries.every((e) => e.publishedAt && !Number.isNaN(Date.parse(String(e.publishedAt))))).toBe(true);
  });

  it('reads Atom and takes the alternate link', async () => {
    const { entries } = await parseFeed(fixture('atom.xml'), 'application/atom+xml', 'rss:fixture');
    expect(entries).toHaveLength(4);
    expect(entries.every((e) => e.sourceKind === 'atom')).toBe(true);
    expect(entries.every((e) => e.url?.startsWith('https://fixtures.example.com/'))).toBe(true);
  });

  it('reads RSS 1.0 / RDF with dc:date', async () => {
    const { entries } = await parseFeed(fixture('rdf.xml'), 'application/rdf+xml', 'rss:fixture');
    expect(entries).toHaveLength(3);
    expect(entries[0]!.sourceKind).toBe('rdf');
    expect(entries.every((e) => e.publishedAt)).toBe(true);
  });

  it('returns no entries for an empty channel', async () => {
    expect((await parseFeed(fixture('empty.xml'), '', 'rss:fixture')).entries).toEqual([]);
  });

  it('reads 2,000 items of a large feed', async () => {
    const { entries } = await parseFeed(fixture('large.xml'), '', 'rss:fixture');
    expect(entries).toHaveLength(2000);
    expect(new Set(entries.map((e) => e.url)).size).toBe(2000);
  });

  it('decodes a real Latin-1 feed by its declaration', async () => {
    const { entries } = await parseFeed(fixture('latin1.xml'), 'text/xml', 'rss:fixture');
    expect(entries.map((e) => e.title).join(' ')).toContain('Société Générale');
  });

  it('repairs Latin-1 bytes in a feed that claims UTF-8 instead of inventing U+FFFD', async () => {
    const { entries, charsetRepaired } = await parseFeed(fixture('wrong-charset.xml'), 'text/xml', 'rss:fixture');
    expect(charsetRepaired).toBe(true);
    expect(entries.map((e) => e.title).join(' ')).toContain('Nestlé');
    expect(entries.map((e) => e.title).join(' ')).not.toContain('\uFFFD');
  });

  it.each(['broken.xml', 'not-a-feed.html'])('rejects %s with FINSENT_ERR_FEED_PARSE', async (name) => {
    const err = await parseFeed(fixture(name), 'text/html', 'rss:fixture').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FinsentError);
    expect((err as FinsentError).code).toBe('FINSENT_ERR_FEED_PARSE');
  });

  it('prefers the HTTP charset over the declaration, and honours a BOM', () => {
    const body = Buffer.from('<?xml version="1.0" encoding="utf-8"?><rss/>', 'latin1');
    expect(decodeFeedBytes(body, 'text/xml; charset=ISO-8859-1').charset).toBe('iso-8859-1');
    expect(
      decodeFeedBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]), 'text/xml; charset=ISO-8859-1').charset,
    ).toBe('utf-8');
  });
});

describe('no state carries over from one feed to the next', () => {
  const laughs = Buffer.from(`<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rss version="2.0"><channel><title>t</title><item><title>&lol2;</title><link>https://e.com/1</link></item></channel></rss>`);

  it('refuses an entity-declaring feed every time, also right after a feed that was not XML', async () => {
    for (const broken of ['hello world', '{"not": "xml"', '<rss><channel><item><title>unclosed']) {
      await expect(parseFeed(Buffer.from(broken), 'application/rss+xml', 'rss:b')).rejects.toBeInstanceOf(FinsentError);
      // One shared XML parser kept the broken feed's state: this feed was then accepted, its entity left in the title.
      await expect(parseFeed(laughs, 'application/rss+xml', 'rss:a')).rejects.toThrow(
        /not a valid RSS\/Atom\/RDF feed/,
      );
    }
  });
});
