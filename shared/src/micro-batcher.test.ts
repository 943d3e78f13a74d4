import { describe, expect, it } from 'vitest';
import { MicroBatcher } from './micro-batcher.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MicroBatcher', () => {
  it('flushes as soon as maxItems are waiting, without waiting for the timer', async () => {
    const batches: number[][] = [];
    const b = new MicroBatcher<number, number>({
      maxItems: 4,
      maxWaitMs: 10_000,
      process: async (xs) => (batches.push(xs), xs.map((x) => x * 10)),
    });
    const t0 = Date.now();
    const out = await b.submit([1, 2, 3, 4]);
    expect(out).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1, 2, 3, 4]]);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('flushes a partial batch after maxWaitMs', async () => {
    const batches: number[][] = [];
    const b = new MicroBatcher<number, number>({
      maxItems: 100,
      maxWaitMs: 30,
      process: async (xs) => (batches.push(xs), xs),
    });
    const p = b.submit([7]);
    await sleep(5);
    expect(batches).toEqual([]);
    expect(await p).toEqual([7]);
    expect(batches).toEqual([[7]]);
  });

  it('merges concurrent submitters into one batch and returns each its own results in order', async () => {
    const batches: string[][] = [];
    const b = new MicroBatcher<string, string>({
      maxItems: 10,
      maxWaitMs: 20,
      process: async (xs) => (batches.push(xs), xs.map((x) => x.toUpperCase())),
    });
    const [a, c] = await Promise.all([b.submit(['a1', 'a2']), b.submit(['c1', 'c2', 'c3'])]);
    expect(a).toEqual(['A1', 'A2']);
    expect(c).toEqual(['C1', 'C2', 'C3']);
    expect(batches).toEqual([['a1', 'a2', 'c1', 'c2', 'c3']]);
  });

  it('splits a submission larger than maxItems across batches, processed one at a time', async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const sizes: number[] = [];
    const b = new MicroBatcher<number, number>({
      maxItems: 3,
      maxWaitMs: 5,
      process: async (xs) => {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        sizes.push(xs.length);
        await sleep(5);
        concurrent--;
        return xs;
      },
    });
    expect(await b.submit([1, 2, 3, 4, 5, 6, 7])).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(sizes).toEqual([3, 3, 1]);
    expect(maxConcurrent).toBe(1);
  });

  it('rejects every submitter of a failed batch and keeps serving later batches', async () => {
    let fail = true;
    const b = new MicroBatcher<number, number>({
      maxItems: 2,
      maxWaitMs: 5,
      process: async (xs) => {
        if (fail) throw new Error('model exploded');
        return xs;
      },
    });
    await expect(b.submit([1, 2])).rejects.toThrow('model exploded');
    fail = false;
    expect(await b.submit([3])).toEqual([3]);
  });

  it('rejects a processor that returns the wrong number of results', async () => {
    const b = new MicroBatcher<number, number>({ maxItems: 2, maxWaitMs: 1, process: async () => [1] });
    await expect(b.submit([1, 2])).rejects.toThrow(/1 results for 2 items/);
  });
});
