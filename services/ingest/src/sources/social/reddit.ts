/**
 * Reddit: polls each subreddit's `new` listing (`/r/{sub}/new.json`), newest first. Only posts
 * newer than the newest one already seen are handed on: Reddit post ids are base-36 counters, so
 * "newer" is a number comparison, which (unlike the `before` cursor) keeps working when the
 * remembered post is deleted. Stickied and NSFW posts are skipped.
 */
import { z } from 'zod';
import { describeZodError } from '@finsent/shared';
import type { SourceEntry } from '../../item.js';
import type { MappedPage, PollTarget } from './json-poller.js';

const ListingSchema = z.object({
  kind: z.literal('Listing'),
  data: z.object({ after: z.string().nullable().optional(), children: z.array(z.unknown()) }),
});

const postId = z.string().regex(/^[0-9a-z]{1,10}$/, 'id must be base-36');
const PostIdSchema = z.object({ data: z.object({ id: postId }) });

const PostSchema = z.object({
  kind: z.literal('t3'),
  data: z.object({
    id: postId,
    name: z.string(),
    title: z.string(),
    selftext: z.string().optional().default(''),
    permalink: z.string().startsWith('/'),
    created_utc: z.number(),
    subreddit: z.string(),
    over_18: z.boolean().optional().default(false),
    stickied: z.boolean().optional().default(false),
  }),
});

export interface RedditPage extends MappedPage {
  /** Base-36 id of the newest post on the page (skipped ones included), if any. */
  newestId: string | undefined;
}

const id36 = (id: string) => parseInt(id, 36);

/** Maps a `new` listing to entries, keeping only posts newer than `sinceId`. Throws on a body that is no Listing. */
export function parseRedditListing(body: unknown, subreddit: string, sinceId?: string): RedditPage {
  const listing = ListingSchema.safeParse(body);
  if (!listing.success) throw new Error(`not a Reddit listing: ${describeZodError(listing.error)}`);
  const page: RedditPage = { entries: [], rejects: [], newestId: sinceId };
  for (const child of listing.data.data.children) {
    // The id is read before validation so a malformed post is also seen (and rejected) only once.
    const id = PostIdSchema.safeParse(child).data?.data.id;
    if (id !== undefined) {
      if (sinceId !== undefined && id36(id) <= id36(sinceId)) continue;
      if (page.newestId === undefined || id36(id) > id36(page.newestId)) page.newestId = id;
    }
    const post = PostSchema.safeParse(child);
    if (!post.success) {
      page.rejects.push({ reason: `malformed Reddit post: ${describeZodError(post.error)}`, payload: child });
      continue;
    }
    const p = post.data.data;
    if (p.stickied || p.over_18) continue;
    page.entries.push(redditEntry(p, subreddit));
  }
  return page;
}

function redditEntry(p: z.infer<typeof PostSchema>['data'], subreddit: string): SourceEntry {
  return {
    source: `reddit:r/${subreddit}`,
    sourceKind: 'social',
    sourceId: p.name,
    // The permalink is the post; `url` is where a link post points, which may be any news site.
    url: `https://www.reddit.com${p.permalink}`,
    title: p.title,
    summary: p.selftext,
    publishedAt: new Date(p.created_utc * 1000),
  };
}

/** Reddit's `X-Ratelimit-Remaining` / `X-Ratelimit-Reset` (seconds until the window resets). */
export function redditRateLimitDelayMs(headers: Headers): number | undefined {
  const remaining = Number(headers.get('x-ratelimit-remaining') ?? NaN);
  const reset = Number(headers.get('x-ratelimit-reset') ?? NaN);
  if (!Number.isFinite(remaining) || !Number.isFinite(reset) || remaining >= 1) return undefined;
  return Math.max(0, reset * 1000);
}

export function redditTarget(o: {
  baseUrl: string;
  subreddit: string;
  intervalMs: number;
  userAgent: string;
}): PollTarget {
  let sinceId: string | undefined;
  return {
    source: `reddit:r/${o.subreddit}`,
    intervalMs: o.intervalMs,
    // Reddit throttles generic agents hard; it asks for `<platform>:<app id>:<version> (by /u/<name>)`.
    headers: { 'user-agent': o.userAgent },
    url: () => `${o.baseUrl.replace(/\/+$/, '')}/r/${encodeURIComponent(o.subreddit)}/new.json?limit=100`,
    parse(body) {
      const page = parseRedditListing(body, o.subreddit, sinceId);
      return { ...page, advance: () => void (sinceId = page.newestId) };
    },
    rateLimitDelayMs: redditRateLimitDelayMs,
  };
}
