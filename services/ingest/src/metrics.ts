import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { deadLetterCounter } from '@finsent/shared';

export function ingestMetrics(registry: Registry) {
  return {
    published: new Counter({
      name: 'finsent_ingest_items_published_total',
      help: 'Raw items published to Kafka',
      labelNames: ['source_kind'],
      registers: [registry],
    }),
    filtered: new Counter({
      name: 'finsent_ingest_filtered_total',
      help: 'Items left out by configuration (e.g. a language not in INGEST_LANGUAGES)',
      labelNames: ['reason', 'lang'],
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'finsent_ingest_duplicates_total',
      help: 'Items dropped as exact duplicates of an item already published',
      labelNames: ['source_kind'],
      registers: [registry],
    }),
    nearDuplicates: new Counter({
      name: 'finsent_ingest_near_duplicates_total',
      help: 'Items published as near-duplicates (duplicate_of set, novelty < 1) of a recent item',
      labelNames: ['source_kind'],
      registers: [registry],
    }),
    seenLoaded: new Gauge({
      name: 'finsent_ingest_seen_ids_loaded',
      help: 'Item ids loaded from the persisted seen-id topic at start',
      registers: [registry],
    }),
    pushRequests: new Counter({
      name: 'finsent_ingest_push_requests_total',
      help: 'POST /ingest requests by HTTP status',
      labelNames: ['status'],
      registers: [registry],
    }),
    rejected: deadLetterCounter(registry),
    feedPolls: new Counter({
      name: 'finsent_feed_polls_total',
      help: 'Feed polls by outcome',
      labelNames: ['feed', 'outcome'],
      registers: [registry],
    }),
    feedItems: new Gauge({
      name: 'finsent_feed_items_last_poll',
      help: 'Entries in the last successful poll',
      labelNames: ['feed'],
      registers: [registry],
    }),
    feedLastSuccess: new Gauge({
      name: 'finsent_feed_last_success_timestamp_seconds',
      help: 'When the feed was last polled successfully',
      labelNames: ['feed'],
      registers: [registry],
    }),
    feedConsecutiveFailures: new Gauge({
      name: 'finsent_feed_consecutive_failures',
      help: 'Failed polls in a row',
      labelNames: ['feed'],
      registers: [registry],
    }),
    socialPolls: new Counter({
      name: 'finsent_social_polls_total',
      help: 'Social source polls (HTTP sources) or connections (streams) by outcome',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    socialItems: new Counter({
      name: 'finsent_social_items_total',
      help: 'Posts a social source handed to the publisher (before de-duplication)',
      labelNames: ['source'],
      registers: [registry],
    }),
    socialConsecutiveFailures: new Gauge({
      name: 'finsent_social_consecutive_failures',
      help: 'Failed polls or connection attempts of a social source in a row',
      labelNames: ['source'],
      registers: [registry],
    }),
    socialLastSuccess: new Gauge({
      name: 'finsent_social_last_success_timestamp_seconds',
      help: 'When a social source last polled successfully or received a message',
      labelNames: ['source'],
      registers: [registry],
    }),
    socialStreamMessages: new Counter({
      name: 'finsent_social_stream_messages_total',
      help: 'Messages received on a social stream by outcome (matched, unmatched, ignored, malformed)',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    feedFetchSeconds: new Histogram({
      name: 'finsent_feed_fetch_seconds',
      help: 'Fetch + parse time of one poll',
      labelNames: ['feed'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}
export type IngestMetrics = ReturnType<typeof ingestMetrics>;
