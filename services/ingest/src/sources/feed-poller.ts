/**
 * Polls each configured feed on its own schedule. A failing feed backs off exponentially (with
 * jitter) and never delays or stops the others; a feed that answers with something unparseable
 * has its body dead-lettered so an operator can see exactly what came back.
 */
import { FinsentError, backoffDelay, errorMessage, type Logger } from '@finsent/shared';
import type { IngestMetrics } from '../metrics.js';
import type { ItemPublisher } from '../publisher.js';
import { fetchBounded, type FetchLimits, type Validators } from './http-fetch.js';
import { parseFeed } from './feed-parser.js';
import { PollScheduler } from './poll-scheduler.js';

export interface FeedConfig {
  url: string;
  publisher?: string | undefined;
  category?: string | undefined;
  /** Overrides the default poll interval for this feed. */
  intervalS?: number | undefined;
}

export interface FeedState {
  validators: Validators;
  consecutiveFailures: number;
  lastSuccess?: number;
}

/** Stable source label for a feed: `rss:<publisher or host>`. */
export function feedSource(feed: FeedConfig): string {
  const name = feed.publisher ?? new URL(feed.url).hostname;
  return `rss:${name.toLowerCase().replace(/[^a-z0-9.]+/g, '-')}`;
}

export class FeedPoller {
  private readonly states = new Map<string, FeedState>();
  private readonly scheduler = new PollScheduler<FeedConfig>((feed) =>
    this.pollOnce(feed).then(() => this.nextDelayMs(feed)),
  );

  constructor(
    private readonly o: {
      feeds: FeedConfig[];
      defaultIntervalS: number;
      limits: FetchLimits;
      publisher: ItemPublisher;
      metrics: IngestMetrics;
      logger: Logger;
    },
  ) {}

  start(): void {
    this.scheduler.start(this.o.feeds.map((feed) => ({ key: feed.url, target: feed })));
  }

  state(url: string): FeedState | undefined {
    return this.states.get(url);
  }

  /** One poll of one feed; never throws (failures are logged, counted and backed off). */
  async pollOnce(feed: FeedConfig): Promise<void> {
    const source = feedSource(feed);
    const state = this.states.get(feed.url) ?? { validators: {}, consecutiveFailures: 0 };
    this.states.set(feed.url, state);
    const end = this.o.metrics.feedFetchSeconds.startTimer({ feed: source });
    try {
      const res = await fetchBounded(feed.url, this.o.limits, state.validators);
      if (res.status === 'not_modified') {
        this.succeeded(source, state, 0, 'not_modified');
        return;
      }
      let parsed;
      try {
        parsed = await parseFeed(res.body, res.contentType, source);
      } catch (err) {
        const code = err instanceof FinsentError ? err.code : 'FINSENT_ERR_FEED_PARSE';
        await this.o.publisher.rejectPayload(
          source,
          code === 'FINSENT_ERR_FEED_PARSE' ? 'feed_parse_error' : 'feed_charset_error',
          errorMessage(err),
          res.body,
        );
        throw err;
      }
      if (parsed.charsetRepaired)
        this.o.logger.warn(
          { feed: feed.url },
          'feed bytes were not valid in the declared charset; decoded as windows-1252',
        );
      const summary = await this.o.publisher.publish(parsed.entries);
      // Only now: if publishing failed, the next poll must get the body again, not a 304.
      state.validators = res.validators;
      this.succeeded(source, state, parsed.entries.length, 'ok');
      this.o.logger.info({ feed: feed.url, entries: parsed.entries.length, ...summary }, 'feed polled');
    } catch (err) {
      state.consecutiveFailures++;
      this.o.metrics.feedPolls.inc({ feed: source, outcome: 'error' });
      this.o.metrics.feedConsecutiveFailures.set({ feed: source }, state.consecutiveFailures);
      this.o.logger.warn(
        {
          feed: feed.url,
          code: err instanceof FinsentError ? err.code : undefined,
          err: errorMessage(err),
          consecutiveFailures: state.consecutiveFailures,
        },
        'feed poll failed',
      );
    } finally {
      end();
    }
  }

  private succeeded(source: string, state: FeedState, entries: number, outcome: string): void {
    state.consecutiveFailures = 0;
    state.lastSuccess = Date.now();
    this.o.metrics.feedPolls.inc({ feed: source, outcome });
    this.o.metrics.feedConsecutiveFailures.set({ feed: source }, 0);
    this.o.metrics.feedLastSuccess.set({ feed: source }, state.lastSuccess / 1000);
    if (outcome === 'ok') this.o.metrics.feedItems.set({ feed: source }, entries);
  }

  /** The feed's interval, or a backoff after failures. */
  private nextDelayMs(feed: FeedConfig): number {
    const state = this.states.get(feed.url)!;
    const intervalMs = (feed.intervalS ?? this.o.defaultIntervalS) * 1000;
    return state.consecutiveFailures === 0
      ? intervalMs
      : Math.max(intervalMs, backoffDelay(state.consecutiveFailures, 5_000, 30 * 60_000));
  }

  /** Stops scheduling and waits for polls in progress to finish publishing. */
  stop(): Promise<void> {
    return this.scheduler.stop();
  }
}
