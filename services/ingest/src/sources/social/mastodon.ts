/**
 * Mastodon: polls an instance's public hashtag timeline (`/api/v1/timelines/tag/{tag}`) with
 * `since_id`, so each poll returns only statuses newer than the newest one seen. Boosts (reblogs)
 * are skipped: the original status is what carries the text, and it has its own id.
 */
import { z } from 'zod';
import { describeZodError } from '@finsent/shared';
import type { SourceEntry } from '../../item.js';
import { maxNumericId, type MappedPage, type PollTarget } from './json-poller.js';

const statusId = z.string().regex(/^\d+$/, 'id must be a numeric string');

const StatusSchema = z.object({
  id: statusId,
  created_at: z.string(),
  content: z.string(),
  url: z.string().nullable().optional(),
  uri: z.string().optional(),
  language: z.string().nullable().optional(),
  account: z.object({ acct: z.string() }),
  reblog: z.unknown().nullable().optional(),
});

/**
 * Mastodon wraps hashtags (`#<span>stocks</span>`) and link parts in spans, and hides the scheme and
 * tail of long links in `invisible` spans: unwrapped here, because the generic HTML-to-text step
 * turns every tag into a space ("# stocks").
 */
export function unwrapMastodonSpans(html: string): string {
  return html.replace(/<span class="invisible">[^<]*<\/span>/g, '').replace(/<\/?span\b[^>]*>/g, '');
}

export interface MastodonPage extends MappedPage {
  /** Largest status id on the page (or the previous cursor), for the next `since_id`. */
  newestId: string | undefined;
}

export function mastodonSource(instance: string, tag: string): string {
  return `mastodon:${new URL(instance).host}#${tag}`;
}

/** Maps a hashtag timeline (an array of statuses) to entries. Throws on a body that is not an array. */
export function parseMastodonStatuses(body: unknown, source: string, sinceId?: string): MastodonPage {
  if (!Array.isArray(body))
    throw new Error(`not a Mastodon status list: expected an array, got ${body === null ? 'null' : typeof body}`);
  const ids = body.map((s) => z.object({ id: statusId }).safeParse(s).data?.id);
  const page: MastodonPage = { entries: [], rejects: [], newestId: maxNumericId(ids, sinceId) };
  for (const raw of body) {
    const parsed = StatusSchema.safeParse(raw);
    if (!parsed.success) {
      page.rejects.push({ reason: `malformed Mastodon status: ${describeZodError(parsed.error)}`, payload: raw });
      continue;
    }
    const s = parsed.data;
    if (s.reblog) continue;
    const entry: SourceEntry = {
      source,
      sourceKind: 'social',
      sourceId: s.id,
      url: s.url ?? s.uri,
      summary: unwrapMastodonSpans(s.content),
      publishedAt: s.created_at,
    };
    if (s.language) entry.lang = s.language;
    page.entries.push(entry);
  }
  return page;
}

/** Mastodon's `X-RateLimit-Remaining` / `X-RateLimit-Reset` (an ISO 8601 time). */
export function mastodonRateLimitDelayMs(headers: Headers, now: number): number | undefined {
  const remaining = Number(headers.get('x-ratelimit-remaining') ?? NaN);
  const reset = Date.parse(headers.get('x-ratelimit-reset') ?? '');
  if (!Number.isFinite(remaining) || Number.isNaN(reset) || remaining >= 1) return undefined;
  return Math.max(0, reset - now);
}

export function mastodonTarget(o: {
  instance: string;
  tag: string;
  token?: string | undefined;
  intervalMs: number;
}): PollTarget {
  const source = mastodonSource(o.instance, o.tag);
  let sinceId: string | undefined;
  return {
    source,
    intervalMs: o.intervalMs,
    ...(o.token ? { headers: { authorization: `Bearer ${o.token}` } } : {}),
    url() {
      const u = new URL(`/api/v1/timelines/tag/${encodeURIComponent(o.tag)}`, o.instance);
      u.searchParams.set('limit', '40');
      if (sinceId) u.searchParams.set('since_id', sinceId);
      return u.toString();
    },
    parse(body) {
      const page = parseMastodonStatuses(body, source, sinceId);
      return { ...page, advance: () => void (sinceId = page.newestId) };
    },
    rateLimitDelayMs: mastodonRateLimitDelayMs,
  };
}
