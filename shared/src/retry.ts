import { FinsentError } from './errors.js';

/** Exponential backoff with full jitter, bounded by `maxMs`, for attempt n (0-based). */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export class AbortedError extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortedError';
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortedError());
    const onAbort = () => {
      clearTimeout(t);
      reject(new AbortedError());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `fn` until it succeeds, waiting with backoff between attempts, for as long as it takes:
 * used where giving up would lose data (a database or broker that is down). Only `signal` (on
 * shutdown), `maxAttempts` or an error that is not worth retrying stop it; the last error is then
 * rethrown. A FinsentError is retried only when its code's retry hint says so (its `retriable`,
 * from shared/src/error-codes.ts), whatever `isRetriable` says: a deterministic failure is never
 * retried forever. `isRetriable` decides for other errors and may stop a FinsentError earlier.
 */
export async function retryUntilDone<T>(
  fn: (attempt: number) => Promise<T>,
  opts: {
    signal?: AbortSignal;
    baseMs?: number;
    maxMs?: number;
    maxAttempts?: number;
    onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
    /** Errors for which this returns false are rethrown at once (default: every error but a non-retriable FinsentError is retried). */
    isRetriable?: (err: unknown) => boolean;
    /** Overrides the backoff for one error, e.g. a 429's Retry-After. */
    delayFor?: (err: unknown) => number | undefined;
  } = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (
        opts.signal?.aborted ||
        attempt + 1 >= (opts.maxAttempts ?? Infinity) ||
        !worthRetrying(err, opts.isRetriable)
      )
        throw err;
      const delay = opts.delayFor?.(err) ?? backoffDelay(attempt, opts.baseMs ?? 200, opts.maxMs ?? 10_000);
      opts.onRetry?.(err, attempt, delay);
      await sleep(delay, opts.signal);
    }
  }
}

/** A FinsentError by its code's retry hint (and `isRetriable`, which may only say no); any other error by `isRetriable`, default yes. */
function worthRetrying(err: unknown, isRetriable: ((err: unknown) => boolean) | undefined): boolean {
  if (err instanceof FinsentError && !err.retriable) return false;
  return isRetriable?.(err) !== false;
}
