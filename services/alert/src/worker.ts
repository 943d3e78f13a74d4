/**
 * Scored items in, alerts out: feeds the detector, delivers what it fires to every notifier,
 * and publishes each alert with its final delivery state on the alerts topic (the store writes
 * it to ClickHouse). Batches and the idle-flush timer take turns through one queue, so the
 * detector never sees two callers at once.
 */
import {
  CONSUMER_GROUPS,
  ScoredItemSchema,
  TOPIC_NAMES,
  parseMessage,
  publishDeadLetters,
  type Alert,
  type Bus,
  type BusConsumer,
  type BusMessage,
  type BusProducer,
  type Logger,
  type Rejection,
} from '@finsent/shared';
import type { SpikeDetector } from './detector.js';
import type { AlertMetrics } from './metrics.js';
import type { Notifier } from './webhook-notifier.js';

export class AlertWorker {
  private consumer: BusConsumer | undefined;
  private producer: BusProducer | undefined;
  private queue: Promise<void> = Promise.resolve();
  private tick: NodeJS.Timeout | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly o: { bus: Bus; detector: SpikeDetector; notifiers: Notifier[]; logger: Logger; metrics: AlertMetrics; now?: () => number },
  ) {}

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  private serially(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async start(): Promise<void> {
    this.producer = await this.o.bus.producer();
    this.consumer = await this.o.bus.consumer({ groupId: CONSUMER_GROUPS.alert, topics: [TOPIC_NAMES.scored], partitionsConsumedConcurrently: 1, maxWaitTimeMs: 200 });
    await this.consumer.run((batch) => this.serially(() => this.handle(batch)));
    this.tick = setInterval(() => void this.serially(() => this.fire(this.o.detector.advance(this.now()))).catch((err) => this.o.logger.error({ err }, 'alert tick failed')), 1_000);
  }

  private async handle(batch: BusMessage[]): Promise<void> {
    const rejections: Rejection[] = [];
    const now = this.now();
    for (const m of batch) {
      const p = parseMessage(m, ScoredItemSchema);
      if (!p.ok) {
        rejections.push({ message: m, reasonCode: p.reasonCode, reason: p.reason });
        continue;
      }
      const s = p.value;
      this.o.detector.observe(
        {
          id: s.id,
          title: s.title || s.text.slice(0, 200),
          url: s.url,
          publishedAtMs: Date.parse(s.published_at),
          negative: s.sentiment === 'negative',
          pNegative: s.sentiment_scores.negative ?? 0,
          topic: s.topic,
          tickers: s.tickers,
          novelty: s.novelty,
          partition: m.partition,
        },
        now,
      );
      this.o.metrics.itemsObserved.inc();
    }
    if (rejections.length) {
      for (const r of rejections) this.o.metrics.deadLetters.inc({ stage: 'alert', reason: r.reasonCode });
      await publishDeadLetters(this.producer!, 'alert', rejections);
    }
    this.o.metrics.lateItems.set(this.o.detector.lateItems);
    await this.fire(this.o.detector.advance(now));
  }

  private async fire(alerts: Alert[]): Promise<void> {
    for (const alert of alerts) {
      this.o.metrics.alertsFired.inc({ scope: alert.scope, severity: alert.severity });
      this.o.logger.info({ alert: { id: alert.id, scope: alert.scope, key: alert.key, severity: alert.severity, share: alert.negative_share, baseline: alert.baseline_share, z: alert.z_score, window_end: alert.window_end } }, 'negative spike');
      let final: Alert = { ...alert, delivery_state: this.o.notifiers.length ? 'delivered' : 'not_configured' };
      for (const n of this.o.notifiers) {
        const r = await n.deliver(alert, this.stopping.signal);
        this.o.metrics.deliveries.inc({ notifier: n.name, state: r.state });
        final = {
          ...final,
          delivery_attempts: final.delivery_attempts + r.attempts,
          ...(r.state === 'failed' ? { delivery_state: 'failed' as const, delivery_error: `${n.name}: ${r.error}` } : {}),
        };
      }
      await this.producer!.send(TOPIC_NAMES.alerts, [{ key: `${alert.scope}:${alert.key}`, value: JSON.stringify(final) }]);
    }
  }

  async stop(): Promise<void> {
    if (this.tick) clearInterval(this.tick);
    const abortLater = setTimeout(() => this.stopping.abort(), 8_000);
    try {
      await this.consumer?.close();
      await this.queue;
    } finally {
      clearTimeout(abortLater);
      await this.producer?.close();
    }
  }
}
