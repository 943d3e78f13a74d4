/**
 * From a source's entry to a contract RawItem: stable id, clean text, times, tickers. Every item
 * is validated against the shared schema before anything publishes it.
 */
import { createHash } from 'node:crypto';
import { ITEM_SCHEMA_VERSION, MAX_TEXT_CHARS, RawItemSchema, describeZodError, type RawItem } from '@finsent/shared';
import { guessLanguage } from './language.js';
import { cleanText, htmlToText, truncate } from './text.js';
import type { TickerExtractor } from './tickers.js';

export interface SourceEntry {
  source: string;
  sourceKind: RawItem['source_kind'];
  /** The source's own id (guid, post id), used when there is no URL. */
  sourceId?: string | undefined;
  url?: string | undefined;
  title?: string | undefined;
  /** Body or summary; may be HTML. */
  summary?: string | undefined;
  publishedAt?: string | Date | undefined;
  lang?: string | undefined;
}

const TRACKING_PARAMS = /^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid|cmpid|ncid|ref|src|taid)$/i;

/** URL without tracking parameters, fragment, default port or trailing slash; host lower-cased. */
export function canonicalUrl(raw: string): string | null {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return null;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
  u.hash = '';
  u.hostname = u.hostname.toLowerCase();
  for (const key of [...u.searchParams.keys()]) if (TRACKING_PARAMS.test(key)) u.searchParams.delete(key);
  u.searchParams.sort();
  let s = u.toString();
  if (u.pathname !== '/' && s.endsWith('/') && !u.search) s = s.slice(0, -1);
  return s;
}

export function stableId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/** News dated before this is a feed's bug (a zeroed field, an epoch default), not news: treated as undated. */
export const EARLIEST_PLAUSIBLE_MS = Date.UTC(1990, 0, 1);

/**
 * An ISO time, or null when the value is missing, unreadable or implausible: before 1990, or a four-digit year
 * that JavaScript's date parser read as another (it takes RFC 822's year 0001 for 2001). Such items take their
 * fetch time, as undated ones do, instead of wrapping in the store's DateTime columns (1850 was stored as 1986).
 */
export function isoOrNull(value: string | Date | undefined): string | null {
  if (value === undefined || value === '') return null;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime()) || d.getTime() < EARLIEST_PLAUSIBLE_MS) return null;
  const statedYear = typeof value === 'string' ? /(?<!\d)(\d{4})(?!\d)/.exec(value)?.[1] : undefined;
  // A year off by one is a time zone at New Year (`Wed, 01 Jan 2025 01:30:00 +0200` is 2024 in UTC), not a misread.
  return statedYear !== undefined && Math.abs(Number(statedYear) - d.getUTCFullYear()) > 1 ? null : d.toISOString();
}

const FEED_KINDS: ReadonlySet<RawItem['source_kind']> = new Set(['rss', 'atom', 'rdf']);

/**
 * What an item's id is the hash of, and the link's identity when that is not it.
 *
 * A feed entry's own id (RSS `<guid>`, Atom `<id>`) names it: many feeds (podcasts, press-release wires)
 * link every entry to one page, and identity from the link made 131 distinct entries 9 ids. A guid that is an
 * http(s) URL is canonicalised like a link, so the usual permalink guid (the article's URL) gives the same id as
 * the link did before. Items from other sources keep the URL first: their ids are platform ids of the post
 * the URL already names. `linkIdentity` lets the publisher recognise an entry published before ids came from
 * guids (see ItemPublisher.publish).
 */
export function identityOf(
  e: SourceEntry,
  url: string | null,
): { identity: string | null; linkIdentity: string | null } {
  const ownId = e.sourceId?.trim();
  if (!ownId || !FEED_KINDS.has(e.sourceKind))
    return { identity: url ?? (ownId ? `${e.source}#${ownId}` : null), linkIdentity: null };
  const identity = canonicalUrl(ownId) ?? `${e.source}#${ownId}`;
  return { identity, linkIdentity: url !== null && url !== identity ? url : null };
}

export type NormaliseResult =
  | {
      ok: true;
      item: RawItem;
      /** The id the item had when feed ids came from links (set only when that differs from `item.id`). */
      linkId?: string;
    }
  | { ok: false; reason: string };

export function normaliseEntry(e: SourceEntry, tickers: TickerExtractor, now: Date = new Date()): NormaliseResult {
  const url = e.url ? canonicalUrl(e.url) : null;
  const { identity, linkIdentity } = identityOf(e, url);
  // Clean before anything else reads the text (tickers, entity offsets, truncation): a lone surrogate or control
  // character from any source (feed, push, replay, social) would make ClickHouse refuse the row forever.
  // htmlToText cleans what its entity decoding produces as well; cleanText is idempotent.
  const title = htmlToText(cleanText(e.title ?? ''));
  const summary = htmlToText(cleanText(e.summary ?? ''));
  const body = summary && !summary.startsWith(title) ? (title ? `${title}. ${summary}` : summary) : summary || title;
  if (!identity) return { ok: false, reason: 'entry has neither a usable URL nor a source id' };
  if (!body) return { ok: false, reason: 'entry has no title and no text' };
  const { text, truncated } = truncate(body, MAX_TEXT_CHARS);
  const fetchedAt = now.toISOString();
  const published = isoOrNull(e.publishedAt);
  const candidate = {
    schema_version: ITEM_SCHEMA_VERSION,
    id: stableId(identity),
    source: e.source,
    source_kind: e.sourceKind,
    url,
    title: truncate(title, 2_000).text,
    text,
    truncated,
    lang: e.lang ?? guessLanguage(`${title} ${summary}`),
    // Items from the future (bad clocks, time zones) would open alert windows early: clamp.
    published_at: published && published < fetchedAt ? published : fetchedAt,
    fetched_at: fetchedAt,
    tickers: tickers.extract(`${title} ${summary}`).slice(0, 50),
    duplicate_of: null,
    novelty: 1,
    entities: tickers.entities(text),
  };
  const parsed = RawItemSchema.safeParse(candidate);
  if (!parsed.success) return { ok: false, reason: describeZodError(parsed.error) };
  return linkIdentity
    ? { ok: true, item: parsed.data, linkId: stableId(linkIdentity) }
    : { ok: true, item: parsed.data };
}
