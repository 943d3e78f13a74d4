import { describe, expect, it } from 'vitest';
import { ViewCache } from './view-cache.js';

describe('ViewCache', () => {
  it('reads a view once per interval, and once for concurrent requests', async () => {
    let clock = 0;
    let reads = 0;
    const cache = new ViewCache(
      async (key) => ({ key, n: ++reads }),
      1_000,
      10,
      () => clock,
    );
    const [a, b] = await Promise.all([cache.get('overview'), cache.get('overview')]);
    expect(reads).toBe(1);
    expect(a).toBe(b);
    clock = 999;
    expect((await cache.get('overview')).body).toBe('{"key":"overview","n":1}');
    clock = 1_000;
    expect((await cache.get('overview')).body).toBe('{"key":"overview","n":2}');
  });

  it('keeps a failed read out of the cache, so the next request reads again', async () => {
    let fail = true;
    const cache = new ViewCache(async () => {
      if (fail) throw new Error('ClickHouse unreachable');
      return { ok: true };
    }, 60_000);
    await expect(cache.get('overview')).rejects.toThrow('unreachable');
    fail = false;
    expect((await cache.get('overview')).body).toBe('{"ok":true}');
  });

  it('forgets the least recently read views beyond its size', async () => {
    let reads = 0;
    const cache = new ViewCache(async (key) => ({ key, n: ++reads }), 60_000, 2);
    await cache.get('ticker:A');
    await cache.get('ticker:B');
    await cache.get('ticker:C');
    expect(reads).toBe(3);
    await cache.get('ticker:B');
    expect(reads).toBe(3);
    await cache.get('ticker:A');
    expect(reads).toBe(4);
  });
});
