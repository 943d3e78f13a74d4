/**
 * Scored items in, alerts out: feeds the detector, delivers what it fires to every notifier,
 * and publishes each alert with its final delivery state on the alerts topic (the store writes
 * it to ClickHouse). Batches and the idle-flush timer take turns through one queue, so the
 * detector never sees two callers at once.
 *
 * Restart safety: the detector state is saved to a compacted topic (state-store.ts) after each
 * batch, together with the last offset folded in per partition, so a redelivered batch is not
 * counted twice and no evaluated minute is evaluated again. Fired alerts go into the saved state
 * as an outbox before delivery and move to the delivered ids after it, so none is lost and none
 * is sent twice (only a crash between a delivery and the next save resends one, with the same
 * Idempotency-Key for the receiver to drop).
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
import { DELIVERED_IDS_KEPT, STATE_TOPIC, emptyMeta, ensureStateTopic, loadState, saveState, type PersistedMeta } from './state-store.js';

export class AlertWorker {
  private consumer: BusConsumer | undefined;
  private producer: BusProducer | undefined;
  private queue: Promise<void> = Promise.resolve();
  private tick: NodeJS.Timeout | undefined;
  private readonly stopping = new AbortController();
  private meta: PersistedMeta = emptyMeta();

  constructor(
    private readonly o: {
      bus: Bus; detector: SpikeDetector; notifiers: Notifier[]; logger: Logger; metrics: AlertMetrics; now?: () => number;
      /** Overridable so tests can run isolated instances on one broker. */
      topics?: { scored: string; alerts: string; state: string }; groupId?: string;
    },
  ) {}

  private get topics() {
    return this.o.topics ?? { scored: TOPIC_NAMES.scored, alerts: TOPIC_NAMES.alerts, state: STATE_TOPIC };
  }

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
    await ensureStateTopic(this.o.bus, this.topics.state);
    const restored = await loadState(this.o.bus, this.topics.state);
    if (restored) {
      this.o.detector.restore(restored.snapshot);
      this.meta = restored.meta;
      this.o.logger.info({ keys: restored.snapshot.keys.length, closedMinute: restored.snapshot.closedMinute, pending: restored.meta.pending.length }, 'detector state restored');
    }
    await this.serially(() => this.fire([]));
    this.consumer = await this.o.bus.consumer({ groupId: this.o.groupId ?? CONSUMER_GROUPS.alert, topics: [this.topics.scored], partitionsConsumedConcurrently: 1, maxWaitTimeMs: 200 });
    await this.consumer.run((batch) => this.serially(() => this.handle(batch)));
    this.tick = setInterval(() => void this.serially(() => this.fire(this.o.detector.advance(this.now()))).catch((err) => this.o.logger.error({ err }, 'alert tick failed')), 1_000);
  }

  private async handle(batch: BusMessage[]): Promise<void> {
    const rejections: Rejection[] = [];
    const now = this.now();
    for (const m of batch) {
      const done = this.meta.offsets[m.partition];
      if (done !== undefined && BigInt(m.offset) <= BigInt(done)) continue; // already in the restored state
      this.meta.offsets[m.partition] = m.offset;
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
    await this.fire(this.o.detector.advance(now), true);
  }

  private async save(): Promise<void> {
    await saveState(this.producer!, this.topics.state, this.o.detector.snapshot(), this.meta);
  }

  /**
   * Puts `fired` in the outbox, saves, then delivers the whole outbox (including any restored
   * one). The timer's calls save only when something fired: a minute closed without alerts is
   * simply evaluated again after a restart, with the same result.
   */
  private async fire(fired: Alert[], stateChanged = false): Promise<void> {
    if (!stateChanged && fired.length === 0 && this.meta.pending.length === 0) return;
    const known = new Set([...this.meta.delivered, ...this.meta.pending.map((a) => a.id)]);
    this.meta.pending.push(...fired.filter((a) => !known.has(a.id)));
    await this.save();
    while (this.meta.pending.length) {
      await this.deliver(this.meta.pending[0]!);
      this.meta.delivered = [...this.meta.delivered, this.meta.pending.shift()!.id].slice(-DELIVERED_IDS_KEPT);
      await this.save();
    }
  }

  private async deliver(alert: Alert): Promise<void> {
    this.o.metrics.alertsFired.inc({ scope: alert.scope, severity: alert.severity });
    this.o.logger.info({ alert: { id: alert.id, scope: alert.scope, key: alert.key, severity: alert.severity, share: alert.negative_share, baseline: alert.baseline_share, z: alert.z_score, window_end: alert.window_end } }, 'negative spike');
    let final: Alert = { ...alert, delivery_state: this.o.notifiers.length ? 'delivered' : 'not_configured' };
    for (const n of this.o.notifiers) {
      const r = await n.deliver(alert, this.stopping.signal);
      // Cut short by shutdown: not a failure, it stays in the outbox for the next start.
      if (this.stopping.signal.aborted) throw new Error('stopping: alert delivery left in the outbox');
      this.o.metrics.deliveries.inc({ notifier: n.name, state: r.state });
      final = {
        ...final,
        delivery_attempts: final.delivery_attempts + r.attempts,
        ...(r.state === 'failed' ? { delivery_state: 'failed' as const, delivery_error: `${n.name}: ${r.error}` } : {}),
      };
    }
    await this.producer!.send(this.topics.alerts, [{ key: `${alert.scope}:${alert.key}`, value: JSON.stringify(final) }]);
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
