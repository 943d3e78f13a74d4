import { describe, expect, it } from 'vitest';
import {
  mastodonRateLimitDelayMs,
  mastodonSource,
  mastodonTarget,
  parseMastodonStatuses,
  unwrapMastodonSpans,
} from './mastodon.js';

const status = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  created_at: '2026-01-05T14:30:00.000Z',
  content: '<p>Buying more <a href="https://x/tags/stocks">#stocks</a> &amp; $AAPL</p>',
  url: `https://mastodon.example/@ann/${id}`,
  uri: `https://mastodon.example/users/ann/statuses/${id}`,
  language: 'de',
  account: { acct: 'ann' },
  reblog: null,
  ...over,
});
const SOURCE = 'mastodon:mastodon.example#stocks';

describe('parseMastodonStatuses', () => {
  it('maps statuses to social entries with id, URL, HTML content and language', () => {
    const page = parseMastodonStatuses([status('109000000000000002')], SOURCE);
    expect(page.entries).toEqual([
      {
        source: SOURCE,
        sourceKind: 'social',
        sourceId: '109000000000000002',
        url: 'https://mastodon.example/@ann/109000000000000002',
        summary: '<p>Buying more <a href="https://x/tags/stocks">#stocks</a> &amp; $AAPL</p>',
        publishedAt: '2026-01-05T14:30:00.000Z',
        lang: 'de',
      },
    ]);
    expect(page.newestId).toBe('109000000000000002');
  });

  it('skips reblogs, falls back to the uri and leaves the language unset when unknown', () => {
    const page = parseMastodonStatuses(
      [status('3', { reblog: status('1') }), status('2', { url: null, language: null })],
      SOURCE,
    );
    expect(page.entries).toHaveLength(1);
    expect(page.entries[0]).not.toHaveProperty('lang');
    expect(page.entries[0]!.url).toBe('https://mastodon.example/users/ann/statuses/2');
    expect(page.newestId).toBe('3');
  });

  it('compares ids as numbers beyond double precision and keeps the cursor when the page is empty', () => {
    expect(
      parseMastodonStatuses([status('109000000000000010'), status('99')], SOURCE, '109000000000000009').newestId,
    ).toBe('109000000000000010');
    expect(parseMastodonStatuses([], SOURCE, '42').newestId).toBe('42');
  });

  it('rejects malformed statuses with a reason, and throws on a body that is not a list', () => {
    const page = parseMastodonStatuses([{ id: '5', content: 7 }, status('4')], SOURCE);
    expect(page.entries).toHaveLength(1);
    expect(page.rejects[0]!.reason).toMatch(/^malformed Mastodon status: .*content/);
    expect(page.newestId).toBe('5');
    expect(() => parseMastodonStatuses({ error: 'Record not found' }, SOURCE)).toThrow(/not a Mastodon status list/);
  });
});

describe('unwrapMastodonSpans', () => {
  it('joins hashtags and drops the hidden parts of shortened links', () => {
    const html =
      '<p><a href="https://m.example/tags/tsla" class="mention hashtag">#<span>TSLA</span></a> <a href="https://example.com/a/very/long/path"><span class="invisible">https://</span><span class="ellipsis">example.com/a/very</span><span class="invisible">/long/path</span></a></p>';
    expect(unwrapMastodonSpans(html)).toBe(
      '<p><a href="https://m.example/tags/tsla" class="mention hashtag">#TSLA</a> <a href="https://example.com/a/very/long/path">example.com/a/very</a></p>',
    );
  });
});

describe('mastodon target', () => {
  it('names the source by instance host and tag, and asks for statuses since the newest seen', () => {
    expect(mastodonSource('https://Mastodon.Example:8443/', 'stocks')).toBe('mastodon:mastodon.example:8443#stocks');
    const t = mastodonTarget({ instance: 'https://mastodon.example', tag: 'stocks', token: 'tok', intervalMs: 1000 });
    expect(t.url()).toBe('https://mastodon.example/api/v1/timelines/tag/stocks?limit=40');
    expect(t.headers).toEqual({ authorization: 'Bearer tok' });
    t.parse([status('12')]).advance();
    expect(t.url()).toBe('https://mastodon.example/api/v1/timelines/tag/stocks?limit=40&since_id=12');
  });

  it('waits until X-RateLimit-Reset when the budget is spent', () => {
    const now = Date.parse('2026-01-05T14:30:00.000Z');
    const h = (remaining: string) =>
      new Headers({ 'x-ratelimit-remaining': remaining, 'x-ratelimit-reset': '2026-01-05T14:35:00.000Z' });
    expect(mastodonRateLimitDelayMs(h('0'), now)).toBe(300_000);
    expect(mastodonRateLimitDelayMs(h('299'), now)).toBeUndefined();
  });
});
