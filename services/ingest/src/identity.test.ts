/**
 * Item identity for feeds: the entry's own id (RSS guid, Atom id) where it has one. Feeds that link every entry
 * to one page must keep their entries apart, permalink guids must keep the ids they had, and entries published
 * before ids came from guids must not be published again.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger, type BusRecord } from '@finsent/shared';
import { SeenIds } from './dedup.js';
import { canonicalUrl, normaliseEntry, stableId } from './item.js';
import { ingestMetrics } from './metrics.js';
import { ItemPublisher } from './publisher.js';
import { parseFeed } from './sources/feed-parser.js';
import { TickerExtractor } from './tickers.js';

const tickers = new TickerExtractor([]);
const HOME = 'https://podcasts.example.com/';

function rssFeed(items: Array<{ title: string; link: string; guid?: string }>): Buffer {
  const body = items
    .map(
      (i) =>
        `<item><title>${i.title}</title><link>${i.link}</link>${i.guid ? `<guid isPermaLink="false">${i.guid}</guid>` : ''}<pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>`,
    )
    .join('\n');
  return Buffer.from(`<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>${body}</channel></rss>`);
}

/** The real publisher over a producer that keeps what it is sent (the Kafka adapter is tested elsewhere). */
function publisherWith(seen: SeenIds) {
  const sent: BusRecord[] = [];
  const publisher = new ItemPublisher({
    producer: { send: async (_topic, records) => void sent.push(...records), close: async () => undefined },
    seen,
    tickers,
    metrics: ingestMetrics(new Registry()),
    logger: createLogger('identity-test', 'silent'),
  });
  return { publisher, sent };
}

describe('feed item identity', () => {
  it('keeps 131 entries that share one link apart by their guids, poll after poll', async () => {
    const items = Array.from({ length: 131 }, (_, i) => ({
      title: `Episode ${i}: markets this week, part ${i}`,
      link: HOME,
      guid: `episode-${i}`,
    }));
    const { entries } = await parseFeed(rssFeed(items), 'application/rss+xml', 'rss:podcast');
    const seen = new SeenIds(1_000);
    const { publisher, sent } = publisherWith(seen);
    const first = await publisher.publish(entries);
    expect(first.published).toBe(131);
    expect(new Set(sent.map((r) => r.key)).size).toBe(131);
    const again = await publisher.publish(entries);
    expect(again).toMatchObject({ published: 0, duplicates: 131 });
  });

  it('gives a permalink guid the id its link had, and an Atom id its own', async () => {
    const url = 'https://news.example.com/story/1?utm_source=rss';
    const r = normaliseEntry(
      { source: 'rss:x', sourceKind: 'rss', url, sourceId: 'https://news.example.com/story/1', title: 'Acme rises' },
      tickers,
    );
    expect(r.ok && r.item.id).toBe(stableId(canonicalUrl(url)!));
    expect(r.ok && r.linkId).toBeUndefined();
    const atom = normaliseEntry(
      { source: 'atom:x', sourceKind: 'atom', url: HOME, sourceId: 'tag:example.com,2026:42', title: 'Acme falls' },
      tickers,
    );
    expect(atom.ok && atom.item.id).toBe(stableId('atom:x#tag:example.com,2026:42'));
    // Pushed items and social posts keep their URL first.
    const push = normaliseEntry(
      { source: 'push', sourceKind: 'push', url: HOME, sourceId: '7', title: 'Acme flat' },
      tickers,
    );
    expect(push.ok && push.item.id).toBe(stableId(canonicalUrl(HOME)!));
  });

  it('does not publish again an entry published under its link id before ids came from guids', async () => {
    const items = [
      { title: 'Acme wins contract', link: 'https://wire.example.com/acme-contract', guid: 'wire-1001' },
      { title: 'Beta cuts outlook', link: 'https://wire.example.com/beta-outlook', guid: 'wire-1002' },
      { title: 'Gamma names CFO', link: HOME, guid: 'wire-1003' },
      { title: 'Delta files for IPO', link: HOME, guid: 'wire-1004' },
    ];
    const { entries } = await parseFeed(rssFeed(items), 'application/rss+xml', 'rss:wire');
    const seen = new SeenIds(1_000);
    // What the previous version published: one id per link (the two home-page entries collapsed into one).
    for (const link of ['https://wire.example.com/acme-contract', HOME]) seen.add(stableId(canonicalUrl(link)!));
    const { publisher, sent } = publisherWith(seen);
    const summary = await publisher.publish(entries);
    // Acme was published before; Beta is new; both home-page entries are published now (the link cannot tell which one was).
    expect(summary).toMatchObject({ published: 3, duplicates: 1 });
    expect(sent.map((r) => JSON.parse(String(r.value)).title).sort()).toEqual([
      'Beta cuts outlook',
      'Delta files for IPO',
      'Gamma names CFO',
    ]);
  });

  it('publishes the next entries of a feed that lists one at a time, all linking to one page', async () => {
    const seen = new SeenIds(1_000);
    seen.add(stableId(canonicalUrl(HOME)!)); // the previous version published episode 1 under the link's id
    const { publisher, sent } = publisherWith(seen);
    const poll = async (n: number) =>
      publisher.publish(
        (
          await parseFeed(
            rssFeed([{ title: `Episode ${n} of the markets show`, link: HOME, guid: `ep-${n}` }]),
            'application/rss+xml',
            'rss:show',
          )
        ).entries,
      );
    expect(await poll(1)).toMatchObject({ published: 0, duplicates: 1 }); // known by its link: not again
    expect(await poll(2)).toMatchObject({ published: 1, duplicates: 0 }); // the link no longer stands for it
    expect(await poll(2)).toMatchObject({ published: 0, duplicates: 1 });
    expect(await poll(1)).toMatchObject({ published: 0, duplicates: 1 }); // remembered by its own id now
    expect(sent.map((r) => JSON.parse(String(r.value)).title)).toEqual(['Episode 2 of the markets show']);
  });
});
