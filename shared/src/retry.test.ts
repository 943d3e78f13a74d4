import { describe, expect, it } from 'vitest';
import { backoffDelay, retryUntilDone } from './retry.js';

describe('retryUntilDone', () => {
  it('retries until the call succeeds, reporting each failure', async () => {
    const retried: number[] = [];
    const result = await retryUntilDone(
      async (attempt) => {
        if (attempt < 2) throw Object.assign(new Error('not the coordinator'), { retriable: true });
        return attempt;
      },
      { baseMs: 1, maxMs: 2, onRetry: (_err, attempt) => retried.push(attempt) },
    );
    expect(result).toBe(2);
    expect(retried).toEqual([0, 1]);
  });

  it('rethrows at once an error that is not retriable, and the last one after maxAttempts', async () => {
    let calls = 0;
    const fatal = retryUntilDone(async () => {
      calls++;
      throw new Error('topic name invalid');
    }, { baseMs: 1, isRetriable: () => false });
    await expect(fatal).rejects.toThrow('topic name invalid');
    expect(calls).toBe(1);
    await expect(retryUntilDone(async (n) => { throw new Error(`failure ${n}`); }, { baseMs: 1, maxAttempts: 3 })).rejects.toThrow('failure 2');
  });

  it('backs off exponentially with jitter, within the cap', () => {
    expect(backoffDelay(0, 100, 1_000, () => 0)).toBe(50);
    expect(backoffDelay(3, 100, 1_000, () => 1)).toBe(800);
    expect(backoffDelay(10, 100, 1_000, () => 1)).toBe(1_000);
  });
});
