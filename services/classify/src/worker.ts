/**
 * Raw items in, scored items out. Each Kafka batch is validated (bad messages are dead-lettered
 * with their reason), its items join a cross-partition micro-batch for the model, and the scored
 * items are published before the batch's offsets are committed (at-least-once; the id key makes
 * redelivered items idempotent downstream).
 */
import {
  CONSUMER_GROUPS,
  ITEM_SCHEMA_VERSION,
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
import type { ClassifierModel, EncodedText } from './model.js';
import type { ClassifyMetrics } from './metrics.js';
import type { Prediction } from './scoring.js';
import type { ShadowScorer } from './shadow.js';
import type { DriftMonitor } from './drift-monitor.js';
import { observationOf } from './drift.js';

export interface WorkerOptions {
  bus: Bus;
  model: ClassifierModel;
  logger: Logger;
  metrics: ClassifyMetrics;
  batchMax: number;
  batchWaitMs: number;
  /** A candidate model scoring a sample in shadow, after the live batch is published. */
  shadow?: ShadowScorer | undefined;
  /** What the live model saw, per source, against its training distribution. */
  drift?: DriftMonitor | undefined;
}

interface Classifiable {
  message: BusMessage;
  item: RawItem;
  /** Token ids ([CLS] … [SEP]) from the model's tokeniser, and the token ranges of the item's entities. */
  encoded: EncodedText;
}

/**
 * Splits a Kafka batch into tokenised items and rejections. Tokenising here, per Kafka batch and
 * before the micro-batcher, keeps it off the inference critical path: it runs on the event loop
 * while the previous model batch runs on onnxruntime's threads.
 */
export function triage(
  batch: BusMessage[],
  encode: (text: string, spans: RawItem['entities']) => EncodedText,
): { items: Classifiable[]; rejections: Rejection[] } {
  const items: Classifiable[] = [];
  const rejections: Rejection[] = [];
  for (const message of batch) {
    const parsed = parseMessage(message, RawItemSchema);
    if (!parsed.ok) {
      rejections.push({ message, reasonCode: parsed.reasonCode, reason: parsed.reason });
      continue;
    }
    const encoded = encode(parsed.value.text, parsed.value.entities);
    // Only [CLS] and [SEP]: nothing was left after normalisation.
    if (encoded.ids.length <= 2)
      rejections.push({
        message,
        reasonCode: 'empty_text',
        reason: 'text is empty after normalisation (only URLs, emoji or whitespace)',
      });
    else items.push({ message, item: parsed.value, encoded });
  }
  return { items, rejections };
}

/** A raw item with its prediction: the output contract (version 2, entities carrying their own sentiment). */
export function scoredItem(item: RawItem, p: Prediction, modelVersion: string, scoredAt: string): ScoredItem {
  const { entities, ...whole } = p;
  return {
    ...item,
    ...whole,
    schema_version: ITEM_SCHEMA_VERSION,
    entities: item.entities.map((e, k) => ({ ...e, ...entities[k]! })),
    model_version: modelVersion,
    scored_at: scoredAt,
  };
}

export class ClassifyWorker {
  private consumer: BusConsumer | undefined;
  private producer: BusProducer | undefined;
  private readonly batcher: MicroBatcher<EncodedText, Prediction>;

  constructor(private readonly o: WorkerOptions) {
    this.batcher = new MicroBatcher<EncodedText, Prediction>({
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
    const { items, rejections } = triage(batch, (text, spans) => this.o.model.encode(text, spans));
    await publishDeadLetters(this.producer!, 'classify', rejections, {
      counter: this.o.metrics.deadLetters,
      logger: this.o.logger,
    });
    if (items.length === 0) return;
    const predictions = await this.batcher.submit(items.map((x) => x.encoded));
    const scoredAt = new Date().toISOString();
    const scored: ScoredItem[] = items.map(({ item }, i) =>
      scoredItem(item, predictions[i]!, this.o.model.version, scoredAt),
    );
    await this.producer!.send(
      TOPIC_NAMES.scored,
      scored.map((s) => ({ key: s.id, value: JSON.stringify(s) })),
    );
    const now = Date.now();
    const unknownId = this.o.model.unknownId;
    items.forEach(({ message, item, encoded }, i) => {
      const s = scored[i]!;
      this.o.metrics.itemLatencySeconds.observe(Math.max(0, now - message.timestamp) / 1000);
      this.o.metrics.itemsScored.inc({ sentiment: s.sentiment, topic: s.topic });
      this.o.drift?.observe(item.source, observationOf(encoded.ids, unknownId, s, item.lang));
    });
    this.o.shadow?.offer(items.map((x) => x.item));
  }

  async stop(): Promise<void> {
    await this.consumer?.close();
    await this.producer?.close();
  }
}
