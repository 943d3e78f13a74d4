import { describe, expect, it } from 'vitest';
import { parseRedditListing, redditRateLimitDelayMs } from './reddit.js';

const redditPost = (id: string, over: Record<string, unknown> = {}) => ({
  kind: 't3',
  data: {
    id,
    name: `t3_${id}`,
    title: `Post ${id} about $NVDA`,
    selftext: 'Earnings &amp; guidance look strong',
    permalink: `/r/stocks/comments/${id}/post_${id}/`,
    url: 'https://example.com/news',
    created_utc: 1_700_000_000,
    subreddit: 'stocks',
    author: 'someone',
    over_18: false,
    stickied: false,
    ...over,
  },
});
const listing = (children: unknown[]) => ({ kind: 'Listing', data: { after: null, children } });

describe('parseRedditListing', () => {
  it('maps posts to social entries with the permalink, fullname and creation time', () => {
    const page = parseRedditListing(listing([redditPost('1abc')]), 'stocks');
    expect(page.entries).toEqual([
      {
        source: 'reddit:r/stocks',
        sourceKind: 'social',
        sourceId: 't3_1abc',
        url: 'https://www.reddit.com/r/stocks/comments/1abc/post_1abc/',
        title: 'Post 1abc about $NVDA',
        summary: 'Earnings &amp; guidance look strong',
        publishedAt: new Date(1_700_000_000_000),
      },
    ]);
    expect(page.newestId).toBe('1abc');
    expect(page.rejects).toEqual([]);
  });

  it('skips stickied and over_18 posts but still moves the cursor past them', () => {
    const page = parseRedditListing(
      listing([redditPost('1ac', { stickied: true }), redditPost('1ab', { over_18: true }), redditPost('1aa')]),
      'stocks',
    );
    expect(page.entries.map((e) => e.sourceId)).toEqual(['t3_1aa']);
    expect(page.newestId).toBe('1ac');
  });

  it('keeps only posts newer than the remembered id (base-36 order, not string order)', () => {
    const page = parseRedditListing(listing([redditPost('10a'), redditPost('zz'), redditPost('z1')]), 'stocks', 'zz');
    expect(page.entries.map((e) => e.sourceId)).toEqual(['t3_10a']);
    expect(page.newestId).toBe('10a');
    expect(parseRedditListing(listing([]), 'stocks', 'zz').newestId).toBe('zz');
  });

  it('rejects malformed posts with a reason and keeps the good ones', () => {
    const broken = { kind: 't3', data: { id: '1x', title: 42 } };
    const page = parseRedditListing(listing([broken, 'nonsense', redditPost('1y')]), 'stocks');
    expect(page.entries).toHaveLength(1);
    expect(page.rejects).toHaveLength(2);
    expect(page.rejects[0]!.reason).toMatch(/^malformed Reddit post: .*title/);
    expect(page.rejects[0]!.payload).toBe(broken);
    // Once past it, the malformed post is not rejected again on the next poll.
    expect(parseRedditListing(listing([broken, redditPost('1y')]), 'stocks', page.newestId).rejects).toEqual([]);
  });

  it('throws on a body that is not a listing', () => {
    expect(() => parseRedditListing({ error: 403, message: 'Forbidden' }, 'stocks')).toThrow(/not a Reddit listing/);
    expect(() => parseRedditListing(null, 'stocks')).toThrow(/not a Reddit listing/);
  });
});

describe('redditRateLimitDelayMs', () => {
  const h = (o: Record<string, string>) => new Headers(o);
  it('waits for the reset only when the remaining budget is below one request', () => {
    expect(redditRateLimitDelayMs(h({ 'x-ratelimit-remaining': '0.0', 'x-ratelimit-reset': '42' }))).toBe(42_000);
    expect(redditRateLimitDelayMs(h({ 'x-ratelimit-remaining': '12.0', 'x-ratelimit-reset': '42' }))).toBeUndefined();
    expect(redditRateLimitDelayMs(h({}))).toBeUndefined();
  });
});
