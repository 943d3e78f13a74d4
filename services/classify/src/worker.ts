/**
 * Raw items in, scored items out. Each Kafka batch is validated (bad messages are dead-lettered
 * with their reason), its items join a cross-partition micro-batch for the model, and the scored
 * items are published before the batch's offsets are committed (at-least-once; the id key makes
 * redelivered items idempotent downstream).
 */
import {
  CONSUMER_GROUPS,
  MicroBatcher,
  RawItemSchema,
  TOPIC_NAMES,
  parseMessage,
  publishDeadLetters,
  type Bus,
  type BusConsumer,
  type BusMessage,
  type BusProducer,
  type Logger,
  type RawItem,
  type Rejection,
  type ScoredItem,
} from '@finsent/shared';
import type { ClassifierModel } from './model.js';
import type { ClassifyMetrics } from './metrics.js';
import { normaliseText } from './normalise.js';
import type { Prediction } from './scoring.js';

export interface WorkerOptions {
  bus: Bus;
  model: ClassifierModel;
  logger: Logger;
  metrics: ClassifyMetrics;
  batchMax: number;
  batchWaitMs: number;
}

/** Splits a Kafka batch into classifiable items and rejections (pure apart from the clock). */
export function triage(batch: BusMessage[]): { items: Array<{ message: BusMessage; item: RawItem }>; rejections: Rejection[] } {
  const items: Array<{ message: BusMessage; item: RawItem }> = [];
  const rejections: Rejection[] = [];
  for (const message of batch) {
    const parsed = parseMessage(message, RawItemSchema);
    if (!parsed.ok) rejections.push({ message, reasonCode: parsed.reasonCode, reason: parsed.reason });
    else if (normaliseText(parsed.value.text) === '')
      rejections.push({ message, reasonCode: 'empty_text', reason: 'text is empty after normalisation (only URLs, emoji or whitespace)' });
    else items.push({ message, item: parsed.value });
  }
  return { items, rejections };
}

export class ClassifyWorker {
  private consumer: BusConsumer | undefined;
  private producer: BusProducer | undefined;
  private readonly batcher: MicroBatcher<number[], Prediction>;

  constructor(private readonly o: WorkerOptions) {
    // The batcher gets token ids, not texts: each Kafka batch is tokenised on the event loop while
    // the previous model batch runs on onnxruntime's threads, so tokenising is off the critical path.
    this.batcher = new MicroBatcher<number[], Prediction>({
      maxItems: o.batchMax,
      maxWaitMs: o.batchWaitMs,
      process: async (encoded) => {
        const end = o.metrics.inferSeconds.startTimer();
        const predictions = await o.model.predictEncoded(encoded);
        end();
        o.metrics.batchSize.observe(encoded.length);
        return predictions;
      },
    });
  }

  async start(): Promise<void> {
    this.producer = await this.o.bus.producer();
    this.consumer = await this.o.bus.consumer({
      groupId: CONSUMER_GROUPS.classify,
      topics: [TOPIC_NAMES.raw],
      // Several partitions' batches in flight at once is what lets the micro-batcher fill up.
      partitionsConsumedConcurrently: 6,
      maxWaitTimeMs: 50,
      maxBytesPerPartition: 256 * 1024,
    });
    await this.consumer.run((batch) => this.handle(batch));
  }

  async handle(batch: BusMessage[]): Promise<void> {
    const { items, rejections } = triage(batch);
    if (rejections.length) {
      for (const r of rejections) {
        this.o.metrics.deadLetters.inc({ stage: 'classify', reason: r.reasonCode });
        this.o.logger.warn({ topic: r.message.topic, partition: r.message.partition, offset: r.message.offset, key: r.message.key, reason: r.reasonCode, detail: r.reason }, 'dead-lettering raw message');
      }
      await publishDeadLetters(this.producer!, 'classify', rejections);
    }
    if (items.length === 0) return;
    const predictions = await this.batcher.submit(items.map((x) => this.o.model.encode(x.item.text)));
    const scoredAt = new Date().toISOString();
    const scored: ScoredItem[] = items.map(({ item }, i) => ({ ...item, ...predictions[i]!, model_version: this.o.model.version, scored_at: scoredAt }));
    await this.producer!.send(
      TOPIC_NAMES.scored,
      scored.map((s) => ({ key: s.id, value: JSON.stringify(s) })),
    );
    const now = Date.now();
    items.forEach(({ message }, i) => {
      this.o.metrics.itemLatencySeconds.observe(Math.max(0, now - message.timestamp) / 1000);
      this.o.metrics.itemsScored.inc({ sentiment: scored[i]!.sentiment, topic: scored[i]!.topic });
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.close();
    await this.producer?.close();
  }
}
