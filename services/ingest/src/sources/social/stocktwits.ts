/**
 * StockTwits: polls each symbol's stream (`/api/2/streams/symbol/{SYMBOL}.json`) with `since`, so a
 * poll returns only messages newer than the newest one seen (up to 30, newest first).
 */
import { z } from 'zod';
import { describeZodError } from '@finsent/shared';
import { maxNumericId, type MappedPage, type PollTarget } from './json-poller.js';

const messageId = z.number().int().positive();

const StreamSchema = z.object({ messages: z.array(z.unknown()) });
const MessageSchema = z.object({
  id: messageId,
  body: z.string(),
  created_at: z.string(),
  user: z.object({ username: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'unexpected username') }),
});

export interface StocktwitsPage extends MappedPage {
  newestId: string | undefined;
}

export const stocktwitsSource = (symbol: string) => `stocktwits:$${symbol}`;

/** Maps a symbol stream to entries. Throws on a body that is not a stream. */
export function parseStocktwitsStream(body: unknown, symbol: string, sinceId?: string): StocktwitsPage {
  const stream = StreamSchema.safeParse(body);
  if (!stream.success) throw new Error(`not a StockTwits stream: ${describeZodError(stream.error)}`);
  const ids = stream.data.messages.map((m) => z.object({ id: messageId }).safeParse(m).data?.id.toString());
  const page: StocktwitsPage = { entries: [], rejects: [], newestId: maxNumericId(ids, sinceId) };
  for (const raw of stream.data.messages) {
    const parsed = MessageSchema.safeParse(raw);
    if (!parsed.success) {
      page.rejects.push({ reason: `malformed StockTwits message: ${describeZodError(parsed.error)}`, payload: raw });
      continue;
    }
    const m = parsed.data;
    page.entries.push({
      source: stocktwitsSource(symbol),
      sourceKind: 'social',
      sourceId: String(m.id),
      url: `https://stocktwits.com/${m.user.username}/message/${m.id}`,
      summary: m.body,
      publishedAt: m.created_at,
    });
  }
  return page;
}

/** StockTwits' `X-RateLimit-Remaining` / `X-RateLimit-Reset` (a Unix time in seconds). */
export function stocktwitsRateLimitDelayMs(headers: Headers, now: number): number | undefined {
  const remaining = Number(headers.get('x-ratelimit-remaining') ?? NaN);
  const reset = Number(headers.get('x-ratelimit-reset') ?? NaN);
  if (!Number.isFinite(remaining) || !Number.isFinite(reset) || remaining >= 1) return undefined;
  return Math.max(0, reset * 1000 - now);
}

export function stocktwitsTarget(o: { baseUrl: string; symbol: string; intervalMs: number }): PollTarget {
  let sinceId: string | undefined;
  return {
    source: stocktwitsSource(o.symbol),
    intervalMs: o.intervalMs,
    url() {
      const u = new URL(`/api/2/streams/symbol/${encodeURIComponent(o.symbol)}.json`, o.baseUrl);
      if (sinceId) u.searchParams.set('since', sinceId);
      return u.toString();
    },
    parse(body) {
      const page = parseStocktwitsStream(body, o.symbol, sinceId);
      return { ...page, advance: () => void (sinceId = page.newestId) };
    },
    rateLimitDelayMs: stocktwitsRateLimitDelayMs,
  };
}
