/**
 * The one way items leave ingest: normalised, validated, de-duplicated, published keyed by id
 * (so every copy of an item lands on the same partition), rejects dead-lettered with the reason.
 */
import { SCHEMA_VERSION, TOPIC_NAMES, type BusProducer, type DeadLetter, type Logger } from '@finsent/shared';
import { normaliseEntry, type SourceEntry } from './item.js';
import type { SeenIds } from './dedup.js';
import type { IngestMetrics } from './metrics.js';
import type { TickerExtractor } from './tickers.js';

export interface PublishSummary {
  published: number;
  duplicates: number;
  rejected: number;
}

export class ItemPublisher {
  constructor(
    private readonly o: { producer: BusProducer; seen: SeenIds; tickers: TickerExtractor; metrics: IngestMetrics; logger: Logger },
  ) {}

  /** Normalises and publishes entries, oldest first so partitions carry items in event-time order. */
  async publish(entries: SourceEntry[], now = new Date()): Promise<PublishSummary> {
    const summary: PublishSummary = { published: 0, duplicates: 0, rejected: 0 };
    const fresh = [];
    const rejects: Array<{ entry: SourceEntry; reason: string }> = [];
    for (const entry of entries) {
      const r = normaliseEntry(entry, this.o.tickers, now);
      if (!r.ok) {
        rejects.push({ entry, reason: r.reason });
        continue;
      }
      if (!this.o.seen.firstSighting(r.item.id)) {
        summary.duplicates++;
        this.o.metrics.duplicates.inc({ source_kind: r.item.source_kind });
        continue;
      }
      fresh.push(r.item);
    }
    fresh.sort((a, b) => a.published_at.localeCompare(b.published_at));
    await this.o.producer.send(TOPIC_NAMES.raw, fresh.map((item) => ({ key: item.id, value: JSON.stringify(item) })));
    for (const item of fresh) this.o.metrics.published.inc({ source_kind: item.source_kind });
    summary.published = fresh.length;
    for (const { entry, reason } of rejects) await this.rejectPayload(entry.source, 'invalid_entry', reason, Buffer.from(JSON.stringify(entry)));
    summary.rejected = rejects.length;
    return summary;
  }

  /** Sends something ingest could not use (a broken feed body, an invalid entry) to the dead-letter topic. */
  async rejectPayload(source: string, reasonCode: string, reason: string, payload: Buffer): Promise<void> {
    this.o.metrics.rejected.inc({ stage: 'ingest', reason: reasonCode });
    this.o.logger.warn({ source, reason: reasonCode, detail: reason }, 'dead-lettering ingest input');
    const letter: DeadLetter = {
      schema_version: SCHEMA_VERSION,
      stage: 'ingest',
      reason_code: reasonCode,
      reason: `${source}: ${reason}`.slice(0, 2_000),
      source_topic: null,
      partition: null,
      offset: null,
      key: source,
      // Kafka messages are capped (1 MB by default): keep the first 512 KiB of a huge body.
      payload_base64: payload.subarray(0, 512 * 1024).toString('base64'),
      failed_at: new Date().toISOString(),
    };
    await this.o.producer.send(TOPIC_NAMES.deadLetter, [{ key: source, value: JSON.stringify(letter), headers: { 'finsent-reason': reasonCode, 'finsent-stage': 'ingest' } }]);
  }
}
