/**
 * The polling loop shared by the HTTP JSON social sources (Reddit, Mastodon, StockTwits). Each
 * target (one subreddit, one hashtag, one symbol) runs on its own timer: a failing or rate-limited
 * target backs off alone and never delays the others. A target's cursor advances only after its
 * posts are published, so a failed publish fetches them again (at-least-once; ids de-duplicate).
 */
import { FinsentError, backoffDelay, errorMessage, type Logger } from '@finsent/shared';
import type { SourceEntry } from '../../item.js';
import type { IngestMetrics } from '../../metrics.js';
import type { ItemPublisher } from '../../publisher.js';
import { readBodyBounded } from '../http-fetch.js';
import { PollScheduler } from '../poll-scheduler.js';

/** A post the mapping could not use, with why; dead-lettered with its JSON. */
export interface RejectedPost {
  reason: string;
  payload: unknown;
}

export interface MappedPage {
  entries: SourceEntry[];
  rejects: RejectedPost[];
}

/** What one target does with a 200 answer. */
export interface ParsedPage extends MappedPage {
  /** Moves the target's cursor past this page; called once the entries are published. */
  advance(): void;
}

export interface PollTarget {
  /** `SourceEntry.source` and the metric label, e.g. `reddit:r/stocks`. */
  source: string;
  intervalMs: number;
  /** The URL of the next poll, built from the target's cursor. */
  url(): string;
  headers?: Record<string, string>;
  /** Maps a parsed 200 body; throws on a body that is not the platform's shape at all. */
  parse(body: unknown): ParsedPage;
  /**
   * How long the platform asks us to wait before the next request, from its rate-limit headers
   * (also consulted on a 429); undefined when it does not say.
   */
  rateLimitDelayMs?(headers: Headers, now: number): number | undefined;
}

export interface HttpLimits {
  timeoutMs: number;
  maxBytes: number;
  userAgent: string;
  /** First delay after a failure; doubles (with jitter) per consecutive failure. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

type PollOutcome = { outcome: 'ok' | 'error' | 'rate_limited'; delayMs?: number | undefined };

/** `Retry-After` in seconds or as an HTTP date (RFC 9110), in ms from now. */
export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const v = headers.get('retry-after');
  if (!v) return undefined;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Largest of numeric id strings (Mastodon and StockTwits ids outgrow doubles: compared as BigInt). */
export function maxNumericId(ids: Array<string | undefined>, current?: string): string | undefined {
  let best = current;
  for (const id of ids) if (id && /^\d+$/.test(id) && (best === undefined || BigInt(id) > BigInt(best))) best = id;
  return best;
}

export class JsonPoller {
  private readonly failures = new Map<string, number>();
  private readonly scheduler = new PollScheduler<PollTarget>((target) =>
    this.pollOnce(target).then((o) => this.nextDelayMs(target, o)),
  );

  constructor(
    private readonly o: {
      targets: PollTarget[];
      limits: HttpLimits;
      publisher: ItemPublisher;
      metrics: IngestMetrics;
      logger: Logger;
    },
  ) {}

  get sources(): string[] {
    return this.o.targets.map((t) => t.source);
  }

  start(): void {
    this.scheduler.start(this.o.targets.map((target) => ({ key: target.source, target })));
  }

  /** One poll of one target; never throws. Returns a delay the platform asked for, if any. */
  async pollOnce(target: PollTarget): Promise<PollOutcome> {
    const { metrics, logger, limits } = this.o;
    const url = target.url();
    try {
      const res = await this.get(url, target);
      const asked = target.rateLimitDelayMs?.(res.headers, Date.now());
      if (res.status === 429) {
        await res.body?.cancel();
        const delayMs =
          asked ??
          retryAfterMs(res.headers, Date.now()) ??
          backoffDelay(this.failuresOf(target) + 1, limits.backoffBaseMs, limits.backoffMaxMs);
        this.failed(
          target,
          'rate_limited',
          new FinsentError('FINSENT_ERR_SOCIAL_RATE_LIMITED', `${url}: HTTP 429, next poll in ${delayMs} ms`),
        );
        return { outcome: 'rate_limited', delayMs };
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new FinsentError('FINSENT_ERR_SOCIAL_HTTP', `${url}: HTTP ${res.status}`, { status: res.status });
      }
      const body = await readBodyBounded(res, url, limits.maxBytes, 'FINSENT_ERR_SOCIAL_TOO_LARGE');
      let page: ParsedPage;
      try {
        page = target.parse(JSON.parse(body.toString('utf8')));
      } catch (err) {
        await this.o.publisher.rejectPayload(target.source, 'social_parse_error', errorMessage(err), body);
        throw new FinsentError('FINSENT_ERR_SOCIAL_PARSE', `${url}: ${errorMessage(err)}`, { cause: err });
      }
      const summary = await this.o.publisher.publish(page.entries);
      for (const r of page.rejects)
        await this.o.publisher.rejectPayload(
          target.source,
          'invalid_social_post',
          r.reason,
          Buffer.from(JSON.stringify(r.payload) ?? 'undefined'),
        );
      page.advance();
      this.failures.set(target.source, 0);
      metrics.socialPolls.inc({ source: target.source, outcome: 'ok' });
      metrics.socialItems.inc({ source: target.source }, page.entries.length);
      metrics.socialConsecutiveFailures.set({ source: target.source }, 0);
      metrics.socialLastSuccess.set({ source: target.source }, Date.now() / 1000);
      logger.debug(
        {
          source: target.source,
          entries: page.entries.length,
          rejected: page.rejects.length,
          published: summary.published,
          duplicates: summary.duplicates,
        },
        'social source polled',
      );
      return { outcome: 'ok', delayMs: asked };
    } catch (err) {
      this.failed(target, 'error', err);
      return { outcome: 'error' };
    }
  }

  private async get(url: string, target: PollTarget): Promise<Response> {
    const { timeoutMs, userAgent } = this.o.limits;
    try {
      return await fetch(url, {
        headers: { 'user-agent': userAgent, accept: 'application/json', ...target.headers },
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new FinsentError(
        'FINSENT_ERR_SOCIAL_UNREACHABLE',
        `${url}: ${timedOut ? `no answer within ${timeoutMs} ms` : errorMessage(err)}`,
        { cause: err },
      );
    }
  }

  private failuresOf(target: PollTarget): number {
    return this.failures.get(target.source) ?? 0;
  }

  private failed(target: PollTarget, outcome: 'error' | 'rate_limited', err: unknown): void {
    const n = this.failuresOf(target) + 1;
    this.failures.set(target.source, n);
    this.o.metrics.socialPolls.inc({ source: target.source, outcome });
    this.o.metrics.socialConsecutiveFailures.set({ source: target.source }, n);
    this.o.logger.warn(
      {
        source: target.source,
        code: err instanceof FinsentError ? err.code : undefined,
        err: errorMessage(err),
        consecutiveFailures: n,
      },
      'social poll failed',
    );
  }

  /** The target's interval, or longer when the platform asked for it or after failures. */
  private nextDelayMs(target: PollTarget, { outcome, delayMs: asked }: PollOutcome): number {
    const { backoffBaseMs, backoffMaxMs } = this.o.limits;
    const backoff = outcome === 'error' ? backoffDelay(this.failuresOf(target) - 1, backoffBaseMs, backoffMaxMs) : 0;
    return Math.max(target.intervalMs, asked ?? 0, backoff);
  }

  /** Stops scheduling and waits for polls in progress to finish publishing. */
  stop(): Promise<void> {
    return this.scheduler.stop();
  }
}
