/**
 * Builds the social sources the configuration enables (each is off until its variables are set)
 * and runs them side by side: every source keeps its own schedule, cursor and backoff.
 */
import type { Logger } from '@finsent/shared';
import type { IngestConfig } from '../../config.js';
import type { IngestMetrics } from '../../metrics.js';
import type { ItemPublisher } from '../../publisher.js';
import { JetstreamSource } from './jetstream.js';
import { JsonPoller, type PollTarget } from './json-poller.js';
import { mastodonTarget } from './mastodon.js';
import { redditTarget } from './reddit.js';
import { stocktwitsTarget } from './stocktwits.js';

export interface SocialSources {
  /** Source labels (`reddit:r/stocks`, …) of everything running. */
  sources: string[];
  stop(): Promise<void>;
}

export function pollTargets(config: IngestConfig): PollTarget[] {
  const targets: PollTarget[] = [];
  for (const subreddit of config.REDDIT_SUBREDDITS ?? []) {
    targets.push(
      redditTarget({
        baseUrl: config.REDDIT_BASE_URL,
        subreddit,
        intervalMs: config.REDDIT_POLL_INTERVAL_S * 1000,
        userAgent: config.REDDIT_USER_AGENT,
      }),
    );
  }
  for (const tag of config.MASTODON_TAGS ?? []) {
    targets.push(
      mastodonTarget({
        instance: config.MASTODON_INSTANCE,
        tag,
        token: config.MASTODON_TOKEN,
        intervalMs: config.MASTODON_POLL_INTERVAL_S * 1000,
      }),
    );
  }
  for (const symbol of config.STOCKTWITS_SYMBOLS ?? []) {
    targets.push(
      stocktwitsTarget({
        baseUrl: config.STOCKTWITS_BASE_URL,
        symbol,
        intervalMs: config.STOCKTWITS_POLL_INTERVAL_S * 1000,
      }),
    );
  }
  return targets;
}

export function startSocialSources(
  config: IngestConfig,
  deps: { publisher: ItemPublisher; metrics: IngestMetrics; logger: Logger; userAgent: string },
): SocialSources {
  const poller = new JsonPoller({
    targets: pollTargets(config),
    limits: {
      timeoutMs: config.SOCIAL_HTTP_TIMEOUT_MS,
      maxBytes: config.SOCIAL_MAX_BYTES,
      userAgent: deps.userAgent,
      backoffBaseMs: config.SOCIAL_BACKOFF_BASE_MS,
      backoffMaxMs: config.SOCIAL_BACKOFF_MAX_MS,
    },
    publisher: deps.publisher,
    metrics: deps.metrics,
    logger: deps.logger,
  });
  poller.start();
  const jetstream = config.JETSTREAM_ENABLED
    ? new JetstreamSource({
        url: config.JETSTREAM_URL,
        keywords: config.SOCIAL_KEYWORDS ?? [],
        flushMs: config.JETSTREAM_FLUSH_MS,
        maxBuffered: 1_000,
        idleTimeoutMs: config.JETSTREAM_IDLE_TIMEOUT_S * 1000,
        backoffBaseMs: config.SOCIAL_BACKOFF_BASE_MS,
        backoffMaxMs: config.SOCIAL_BACKOFF_MAX_MS,
        publisher: deps.publisher,
        metrics: deps.metrics,
        logger: deps.logger,
      })
    : undefined;
  jetstream?.start();
  return {
    sources: [...poller.sources, ...(jetstream ? [jetstream.source] : [])],
    async stop() {
      await Promise.all([poller.stop(), jetstream?.stop()]);
    },
  };
}
