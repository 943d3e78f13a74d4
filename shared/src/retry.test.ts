import { describe, expect, it } from 'vitest';
import { FinsentError } from './errors.js';
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
    const fatal = retryUntilDone(
      async () => {
        calls++;
        throw new Error('topic name invalid');
      },
      { baseMs: 1, isRetriable: () => false },
    );
    await expect(fatal).rejects.toThrow('topic name invalid');
    expect(calls).toBe(1);
    await expect(
      retryUntilDone(
        async (n) => {
          throw new Error(`failure ${n}`);
        },
        { baseMs: 1, maxAttempts: 3 },
      ),
    ).rejects.toThrow('failure 2');
  });

  it("retries a FinsentError only as its code's retry hint says, whatever isRetriable allows", async () => {
    const callsUntilThrown = async (
      make: (attempt: number) => Error,
      isRetriable?: (err: unknown) => boolean,
    ): Promise<number> => {
      let calls = 0;
      await retryUntilDone(
        async (attempt) => {
          calls++;
          throw make(attempt);
        },
        { baseMs: 1, maxMs: 1, maxAttempts: 4, ...(isRetriable ? { isRetriable } : {}) },
      ).catch(() => undefined);
      return calls;
    };
    // Deterministic: thrown at once, even where the caller retries everything.
    expect(await callsUntilThrown(() => new FinsentError('FINSENT_ERR_FEED_PARSE', 'not a feed'))).toBe(1);
    expect(
      await callsUntilThrown(
        () => new FinsentError('FINSENT_ERR_MODEL_CONTRACT', 'labels differ'),
        () => true,
      ),
    ).toBe(1);
    expect(
      await callsUntilThrown(() => new FinsentError('FINSENT_ERR_WEBHOOK_HTTP', 'HTTP 400', { status: 400 })),
    ).toBe(1);
    // Transient: retried until maxAttempts; the caller may still stop it earlier.
    expect(await callsUntilThrown(() => new FinsentError('FINSENT_ERR_WEBHOOK_UNREACHABLE', 'refused'))).toBe(4);
    expect(
      await callsUntilThrown(() => new FinsentError('FINSENT_ERR_WEBHOOK_HTTP', 'HTTP 503', { status: 503 })),
    ).toBe(4);
    expect(
      await callsUntilThrown(
        () => new FinsentError('FINSENT_ERR_FEED_TIMEOUT', 'slow'),
        () => false,
      ),
    ).toBe(1);
    // Other errors: as before, by isRetriable (default: retried).
    expect(await callsUntilThrown(() => new Error('socket hang up'))).toBe(4);
    expect(await callsUntilThrown(() => Object.assign(new Error('flagged'), { retriable: false }))).toBe(4);
  });

  it('backs off exponentially with jitter, within the cap', () => {
    expect(backoffDelay(0, 100, 1_000, () => 0)).toBe(50);
    expect(backoffDelay(3, 100, 1_000, () => 1)).toBe(800);
    expect(backoffDelay(10, 100, 1_000, () => 1)).toBe(1_000);
  });
});
