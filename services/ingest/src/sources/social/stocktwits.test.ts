import { describe, expect, it } from 'vitest';
import { parseStocktwitsStream, stocktwitsRateLimitDelayMs, stocktwitsTarget } from './stocktwits.js';

const message = (id: number, over: Record<string, unknown> = {}) => ({
  id,
  body: '$AAPL breaking out of the range',
  created_at: '2026-01-05T14:30:00Z',
  user: { id: 1, username: 'chartist' },
  symbols: [{ id: 686, symbol: 'AAPL' }],
  entities: { sentiment: { basic: 'Bullish' } },
  ...over,
});
const stream = (messages: unknown[]) => ({
  response: { status: 200 },
  symbol: { symbol: 'AAPL' },
  cursor: { more: false, since: 1, max: 2 },
  messages,
});

describe('parseStocktwitsStream', () => {
  it('maps messages to social entries with the message URL and id', () => {
    const page = parseStocktwitsStream(stream([message(560000002), message(560000001)]), 'AAPL');
    expect(page.entries[0]).toEqual({
      source: 'stocktwits:$AAPL',
      sourceKind: 'social',
      sourceId: '560000002',
      url: 'https://stocktwits.com/chartist/message/560000002',
      summary: '$AAPL breaking out of the range',
      publishedAt: '2026-01-05T14:30:00Z',
    });
    expect(page.newestId).toBe('560000002');
  });

  it('rejects malformed messages with a reason and throws on a body that is not a stream', () => {
    const page = parseStocktwitsStream(
      stream([message(7, { body: null }), { nonsense: true }, message(6)]),
      'AAPL',
      '5',
    );
    expect(page.entries.map((e) => e.sourceId)).toEqual(['6']);
    expect(page.rejects.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^malformed StockTwits message: body/),
      expect.stringMatching(/^malformed StockTwits message: id/),
    ]);
    expect(page.newestId).toBe('7');
    expect(() =>
      parseStocktwitsStream({ response: { status: 404 }, errors: [{ message: 'Symbol not found' }] }, 'AAPL'),
    ).toThrow(/not a StockTwits stream/);
  });
});

describe('stocktwits target', () => {
  it('asks for messages since the newest seen', () => {
    const t = stocktwitsTarget({ baseUrl: 'https://api.stocktwits.com', symbol: 'BTC.X', intervalMs: 1000 });
    expect(t.url()).toBe('https://api.stocktwits.com/api/2/streams/symbol/BTC.X.json');
    t.parse(stream([message(9)])).advance();
    expect(t.url()).toBe('https://api.stocktwits.com/api/2/streams/symbol/BTC.X.json?since=9');
  });

  it('waits until X-RateLimit-Reset (Unix seconds) when the budget is spent', () => {
    const h = (remaining: string) =>
      new Headers({ 'x-ratelimit-remaining': remaining, 'x-ratelimit-reset': '1767623400' });
    expect(stocktwitsRateLimitDelayMs(h('0'), 1767623400_000 - 30_000)).toBe(30_000);
    expect(stocktwitsRateLimitDelayMs(h('150'), 0)).toBeUndefined();
  });
});
