/**
 * The first stage of the alert service: scored items in, signals out, re-keyed so that every
 * item of a detection key lands in one partition of the signals topic (see signals.ts). It runs
 * in its own consumer group, so alert processes share this work too. Offsets are committed
 * after the signals are acknowledged: a crash sends some signals again, and the detector drops
 * them by their source position.
 */
import {
  CONSUMER_GROUPS,
  ScoredItemSchema,
  TOPIC_NAMES,
  parseMessage,
  publishDeadLetters,
  type Bus,
  type BusConsumer,
  type BusMessage,
  type BusProducer,
  type BusRecord,
  type Logger,
  type Rejection,
} from '@finsent/shared';
import type { AlertMetrics } from './metrics.js';
import { SIGNALS_TOPIC, fanOut } from './signals.js';

export class SignalFanOut {
  private consumer: BusConsumer | undefined;
  private producer: BusProducer | undefined;

  constructor(
    private readonly o: {
      bus: Bus;
      metrics: AlertMetrics;
      logger: Logger;
      /** Overridable so tests can run isolated instances on one broker. */
      topics?: { scored: string; signals: string };
      groupId?: string;
    },
  ) {}

  private get topics() {
    return this.o.topics ?? { scored: TOPIC_NAMES.scored, signals: SIGNALS_TOPIC };
  }

  async start(): Promise<void> {
    this.producer = await this.o.bus.producer();
    this.consumer = await this.o.bus.consumer({
      groupId: this.o.groupId ?? CONSUMER_GROUPS.alertFanOut,
      topics: [this.topics.scored],
      maxWaitTimeMs: 100,
    });
    await this.consumer.run((batch) => this.handle(batch));
  }

  private async handle(batch: BusMessage[]): Promise<void> {
    const signals: BusRecord[] = [];
    const rejections: Rejection[] = [];
    for (const m of batch) {
      const p = parseMessage(m, ScoredItemSchema);
      if (p.ok) signals.push(...fanOut(p.value, m));
      else rejections.push({ message: m, reasonCode: p.reasonCode, reason: p.reason });
    }
    await publishDeadLetters(this.producer!, 'alert', rejections, {
      counter: this.o.metrics.deadLetters,
      logger: this.o.logger,
    });
    await this.producer!.send(this.topics.signals, signals);
    this.o.metrics.signalsPublished.inc(signals.length);
  }

  async stop(): Promise<void> {
    await this.consumer?.close();
    await this.producer?.close();
  }
}
