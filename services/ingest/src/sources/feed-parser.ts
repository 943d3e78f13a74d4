/**
 * RSS 2.0, Atom and RSS 1.0 (RDF) bytes → source entries. The charset comes from the HTTP header
 * or the XML declaration; bytes that are not valid in the declared UTF-8 are re-read as
 * windows-1252 (the usual culprit) rather than turned into U+FFFD. Anything that is not a feed
 * raises FINSENT_ERR_FEED_PARSE with the reason.
 */
import Parser from 'rss-parser';
import { FinsentError } from '@finsent/shared';
import type { SourceEntry } from '../item.js';

export function decodeFeedBytes(body: Buffer, contentType = ''): { xml: string; charset: string; repaired: boolean } {
  const fromHeader = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1];
  const head = body.subarray(0, 200).toString('latin1');
  const fromDecl = /^\s*<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)["']/i.exec(head)?.[1];
  const hasBom = body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
  const charset = (hasBom ? 'utf-8' : (fromHeader ?? fromDecl ?? 'utf-8')).toLowerCase();
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true });
  } catch {
    throw new FinsentError('FINSENT_ERR_FEED_CHARSET', `unsupported charset ${JSON.stringify(charset)}`);
  }
  try {
    return { xml: decoder.decode(body), charset, repaired: false };
  } catch {
    return { xml: new TextDecoder('windows-1252').decode(body), charset: 'windows-1252', repaired: true };
  }
}

export async function parseFeed(
  body: Buffer,
  contentType: string,
  source: string,
): Promise<{ title: string; entries: SourceEntry[]; charsetRepaired: boolean }> {
  const { xml, repaired } = decodeFeedBytes(body, contentType);
  const start = xml
    .replace(/^\uFEFF/, '')
    .trimStart()
    .slice(0, 500)
    .toLowerCase();
  if (start.startsWith('<!doctype html') || start.startsWith('<html')) {
    throw new FinsentError('FINSENT_ERR_FEED_PARSE', 'got an HTML page, not a feed');
  }
  let feed: Awaited<ReturnType<Parser['parseString']>>;
  try {
    // A parser per feed: rss-parser keeps one XML parser per instance, and after a body that was not XML it kept
    // that body's state (a feed declaring entities, refused by a fresh parser, was then accepted).
    feed = await new Parser({ timeout: 0 }).parseString(xml);
  } catch (err) {
    throw new FinsentError(
      'FINSENT_ERR_FEED_PARSE',
      `not a valid RSS/Atom/RDF feed: ${(err as Error).message.split('\n')[0]}`,
      { cause: err },
    );
  }
  const kind: SourceEntry['sourceKind'] =
    /<feed[\s>]/i.test(start) || /<feed[\s>]/i.test(xml.slice(0, 2000))
      ? 'atom'
      : /<rdf:rdf/i.test(xml.slice(0, 2000))
        ? 'rdf'
        : 'rss';
  const entries = (feed.items ?? []).map((it) => {
    const item = it as Record<string, unknown>;
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return {
      source,
      sourceKind: kind,
      sourceId: str(item.guid) ?? str(item.id),
      url: str(item.link),
      title: str(item.title),
      summary: str(item.content) ?? str(item.summary) ?? str(item.contentSnippet) ?? str(item.description),
      publishedAt: str(item.isoDate) ?? str(item.pubDate) ?? str(item['dc:date']),
    } satisfies SourceEntry;
  });
  return { title: feed.title ?? '', entries, charsetRepaired: repaired };
}
