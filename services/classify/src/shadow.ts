/**
 * Shadow scoring: a candidate model (SHADOW_MODEL_DIR) scores a share of the items the live model scored, off the
 * critical path, and its labels go to `finsent.shadow-scored.v1` for the store to keep beside the live ones.
 *
 * The live path never waits for it: items are handed over after the live batch is published, into a bounded queue
 * that one loop drains in batches; when the candidate falls behind, new items are dropped and counted rather than
 * queued without bound. The sample is chosen by item id, so every classify process (and a re-run) samples the same
 * items, and a share of 10% is the same 10% everywhere.
 */
import { TOPIC_NAMES, type BusProducer, type Logger, type RawItem, type ShadowLabels } from '@finsent/shared';
import type { ClassifyMetrics } from './metrics.js';
import type { ClassifierModel } from './model.js';

/** Whether the item with this id is in a sample of `share` (0–1): its id's first 32 bits as a fraction. */
export function inSample(id: string, share: number): boolean {
  return Number.parseInt(id.slice(0, 8), 16) / 2 ** 32 < share;
}

export interface ShadowOptions {
  model: ClassifierModel;
  liveModelVersion: string;
  share: number;
  maxQueue: number;
  batchMax: number;
  producer: BusProducer;
  metrics: ClassifyMetrics;
  logger: Logger;
}

export class ShadowScorer {
  private readonly queue: RawItem[] = [];
  private draining: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly o: ShadowOptions) {}

  get modelVersion(): string {
    return this.o.model.version;
  }

  /** Takes the sampled items of a live batch; returns at once. */
  offer(items: readonly RawItem[]): void {
    if (this.stopped) return;
    for (const item of items) {
      if (!inSample(item.id, this.o.share)) continue;
      if (this.queue.length >= this.o.maxQueue) {
        this.o.metrics.shadowDropped.inc();
        continue;
      }
      this.queue.push(item);
    }
    this.o.metrics.shadowQueue.set(this.queue.length);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  private async drain(): Promise<void> {
    while (this.queue.length && !this.stopped) {
      const batch = this.queue.splice(0, this.o.batchMax);
      this.o.metrics.shadowQueue.set(this.queue.length);
      try {
        const encoded = batch.map((item) => this.o.model.encode(item.text, item.entities));
        const predictions = await this.o.model.predictEncoded(encoded);
        const scoredAt = new Date().toISOString();
        const labels: ShadowLabels[] = batch.map((item, i) => {
          const p = predictions[i]!;
          return {
            schema_version: 1,
            item_id: item.id,
            published_at: item.published_at,
            model_version: this.o.model.version,
            live_model_version: this.o.liveModelVersion,
            sentiment: p.sentiment,
            sentiment_scores: p.sentiment_scores,
            topic: p.topic,
            topic_score: p.topic_scores[p.topic],
            scored_at: scoredAt,
            entities: item.entities.map((e, k) => ({
              name: e.name,
              ticker: e.ticker,
              sentiment: p.entities[k]!.sentiment,
            })),
          };
        });
        await this.o.producer.send(
          TOPIC_NAMES.shadowScored,
          labels.map((l) => ({ key: l.item_id, value: JSON.stringify(l) })),
        );
        this.o.metrics.shadowScored.inc(batch.length);
      } catch (err) {
        // The candidate is on trial: its failure is counted and logged, never the live path's problem.
        this.o.metrics.shadowFailures.inc(batch.length);
        this.o.logger.warn(
          { err, items: batch.length, model: this.o.model.version },
          'shadow scoring failed; those items have no candidate labels',
        );
      }
    }
  }

  /** Finishes the batch in flight; what is still queued is dropped (it is a sample, not a record). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.draining;
    this.queue.length = 0;
  }
}
