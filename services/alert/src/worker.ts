/**
 * The second stage of the alert service: signals in, alerts out. It owns the signals partitions
 * its consumer group assigns it, with one detector per partition (each key lives in exactly one
 * partition, see signals.ts), delivers what they fire to every notifier, and publishes each alert
 * with its final delivery state on the alerts topic (the store writes it to ClickHouse). Batches,
 * rebalances and the idle-flush timer take turns through one queue, so no detector ever sees two
 * callers at once.
 *
 * Restart and rebalance safety: each partition's detector state is saved to a compacted topic
 * (state-store.ts) after each of its batches, with the last offset folded in and the newest
 * source position per scored partition, so a redelivered batch or a signal the fan-out sent
 * again is not counted twice and no evaluated minute is evaluated again. On a rebalance, the
 * partitions a process lost are dropped and the ones it gained are restored from that topic.
 * Fired alerts go into the saved state as an outbox before delivery and move to the delivered ids
 * after it, so none is lost and none is sent twice (only a crash between a delivery and the next
 * save resends one, with the same Idempotency-Key for the receiver to drop).
 */
import {
  CONSUMER_GROUPS,
  parseMessage,
  publishDeadLetters,
  TOPIC_NAMES,
  type Alert,
  type Bus,
  type BusConsumer,
  type BusMessage,
  type BusProducer,
  type Logger,
  type Rejection,
} from '@finsent/shared';
import { DEFAULT_DETECTOR_CONFIG, SpikeDetector, type DetectorConfig } from './detector.js';
import type { AlertMetrics } from './metrics.js';
import type { Notifier } from './webhook-notifier.js';
import { silenceNote } from './silences.js';
import type { Dispatcher } from './dispatch.js';
import { SIGNALS_TOPIC, SignalSchema, takeIfNew, toObservation } from './signals.js';
import {
  DELIVERED_IDS_KEPT,
  STATE_TOPIC,
  emptyMeta,
  ensureStateTopic,
  loadState,
  saveState,
  type PersistedMeta,
} from './state-store.js';

/** One owned signals partition: its detector and what is persisted beside it. */
interface OwnedPartition {
  detector: SpikeDetector;
  meta: PersistedMeta;
}

export class AlertWorker {
  private consumer: BusConsumer | undefined;
  private producer: BusProducer | undefined;
  private queue: Promise<void> = Promise.resolve();
  private tick: NodeJS.Timeout | undefined;
  private readonly stopping = new AbortController();
  private readonly owned = new Map<number, OwnedPartition>();

  constructor(
    private readonly o: {
      bus: Bus;
      notifiers: Notifier[];
      logger: Logger;
      metrics: AlertMetrics;
      now?: () => number;
      /** Routes and silences (dispatch.ts); unset: every alert to every notifier. */
      dispatch?: Dispatcher;
      detectorConfig?: DetectorConfig;
      /** Overridable so tests can run isolated instances on one broker. */
      topics?: { signals: string; alerts: string; state: string };
      groupId?: string;
    },
  ) {}

  private get topics() {
    return this.o.topics ?? { signals: SIGNALS_TOPIC, alerts: TOPIC_NAMES.alerts, state: STATE_TOPIC };
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  /** The partitions this worker owns now (they change on rebalances). */
  get partitions(): number[] {
    return [...this.owned.keys()].sort((a, b) => a - b);
  }

  private serially(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  async start(): Promise<void> {
    this.producer = await this.o.bus.producer();
    await ensureStateTopic(this.o.bus, this.topics.state);
    this.consumer = await this.o.bus.consumer({
      groupId: this.o.groupId ?? CONSUMER_GROUPS.alert,
      topics: [this.topics.signals],
      partitionsConsumedConcurrently: 1,
      maxWaitTimeMs: 200,
      onAssignment: (assigned) =>
        void this.serially(() => this.adopt(assigned[this.topics.signals] ?? [])).catch((err) =>
          this.o.logger.error({ err }, 'taking over partitions failed'),
        ),
    });
    await this.consumer.run((batch) => this.serially(() => this.handle(batch)));
    this.tick = setInterval(
      () =>
        void this.serially(() => this.advanceAll()).catch((err) => this.o.logger.error({ err }, 'alert tick failed')),
      1_000,
    );
  }

  /**
   * Makes `partitions` the owned set: drops the others (their state was saved with their last
   * batch; their new owner restores it) and restores the new ones, delivering any outbox they had.
   */
  private async adopt(partitions: number[]): Promise<void> {
    const lost = this.partitions.filter((p) => !partitions.includes(p));
    for (const p of lost) this.owned.delete(p);
    const gained = partitions.filter((p) => !this.owned.has(p));
    const restored = await loadState(this.o.bus, this.topics.state, gained);
    for (const p of gained) {
      const detector = new SpikeDetector(this.o.detectorConfig ?? DEFAULT_DETECTOR_CONFIG);
      const state = restored.get(p);
      try {
        if (state) detector.restore(state.snapshot);
      } catch (err) {
        // A record this build cannot read (written by a newer one, or damaged): crash-looping on it would stop all
        // detection, so the partition starts from fresh baselines (warm-up applies) and says so.
        this.o.logger.error(
          { err, partition: p },
          'saved detector state unreadable; this partition starts with fresh baselines',
        );
      }
      this.owned.set(p, { detector, meta: state?.meta ?? emptyMeta() });
    }
    this.o.metrics.ownedPartitions.set(this.owned.size);
    this.o.logger.info(
      { partitions: this.partitions, lost, gained, restored: [...restored.keys()] },
      'signals partitions assigned',
    );
    for (const p of gained) await this.fire(p, []);
  }

  private async handle(batch: BusMessage[]): Promise<void> {
    const partition = batch[0]!.partition;
    // A batch always follows its assignment; this only guards against a missed notification.
    if (!this.owned.has(partition)) await this.adopt([...this.partitions, partition]);
    const { detector, meta } = this.owned.get(partition)!;
    const rejections: Rejection[] = [];
    const now = this.now();
    for (const m of batch) {
      if (meta.offset !== null && BigInt(m.offset) <= BigInt(meta.offset)) continue; // already in the restored state
      meta.offset = m.offset;
      const p = parseMessage(m, SignalSchema);
      if (!p.ok) {
        rejections.push({ message: m, reasonCode: p.reasonCode, reason: p.reason });
        continue;
      }
      if (!takeIfNew(meta.sources, p.value.src)) {
        this.o.metrics.replayedSignals.inc();
        continue;
      }
      detector.observe(toObservation(p.value, partition), now);
      this.o.metrics.itemsObserved.inc();
    }
    await publishDeadLetters(this.producer!, 'alert', rejections, {
      counter: this.o.metrics.deadLetters,
      logger: this.o.logger,
    });
    this.o.metrics.lateItems.set([...this.owned.values()].reduce((n, o) => n + o.detector.lateItems, 0));
    this.o.metrics.futureItems.set([...this.owned.values()].reduce((n, o) => n + o.detector.futureItems, 0));
    await this.fire(partition, detector.advance(now), true);
  }

  /** The timer: closes minutes by the clock (idle flush) and re-checks the open minute. */
  private async advanceAll(): Promise<void> {
    const now = this.now();
    for (const [partition, { detector }] of this.owned) await this.fire(partition, detector.advance(now));
  }

  /**
   * Puts `fired` in the partition's outbox, saves, then delivers the whole outbox (including any
   * restored one). The timer's calls save only when something fired: a minute closed without
   * alerts is simply evaluated again after a restart, with the same result.
   */
  private async fire(partition: number, fired: Alert[], stateChanged = false): Promise<void> {
    const owned = this.owned.get(partition);
    if (!owned) return;
    const { meta } = owned;
    if (!stateChanged && fired.length === 0 && meta.pending.length === 0) return;
    const known = new Set([...meta.delivered, ...meta.pending.map((a) => a.id)]);
    meta.pending.push(...fired.filter((a) => !known.has(a.id)));
    await this.save(partition, owned);
    while (meta.pending.length) {
      await this.deliver(meta.pending[0]!);
      meta.delivered = [...meta.delivered, meta.pending.shift()!.id].slice(-DELIVERED_IDS_KEPT);
      await this.save(partition, owned);
    }
  }

  private async save(partition: number, { detector, meta }: OwnedPartition): Promise<void> {
    await saveState(this.producer!, this.topics.state, partition, detector.snapshot(), meta);
  }

  private async deliver(alert: Alert): Promise<void> {
    this.o.metrics.alertsFired.inc({ scope: alert.scope, severity: alert.severity });
    this.o.logger.info(
      {
        alert: {
          id: alert.id,
          scope: alert.scope,
          key: alert.key,
          severity: alert.severity,
          share: alert.negative_share,
          baseline: alert.baseline_share,
          z: alert.z_score,
          window_end: alert.window_end,
        },
      },
      'negative spike',
    );
    const { notifiers, silence } = this.o.dispatch?.(alert) ?? { notifiers: this.o.notifiers };
    if (silence) {
      this.o.metrics.silenced.inc({ scope: alert.scope });
      this.o.logger.info(
        { alert: alert.id, silence: silence.id, by: silence.created_by, until: silence.ends_at },
        'alert silenced: recorded, not delivered',
      );
      return this.record({ ...alert, delivery_state: 'silenced', delivery_error: silenceNote(silence) });
    }
    let final: Alert = { ...alert, delivery_state: notifiers.length ? 'delivered' : 'not_configured' };
    for (const n of notifiers) {
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
    await this.record(final);
  }

  /** Publishes an alert with its final delivery state on the alerts topic (the store keeps it). */
  private record(alert: Alert): Promise<void> {
    return this.producer!.send(this.topics.alerts, [
      { key: `${alert.scope}:${alert.key}`, value: JSON.stringify(alert) },
    ]);
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
