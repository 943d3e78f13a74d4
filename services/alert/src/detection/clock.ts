/**
 * The detector's event clock: up to which event time every item has arrived, so that a minute can be judged
 * once and for all. Kafka keeps order only within a partition, so the watermark is the slowest active
 * partition's newest event time, minus an allowed lateness; when the stream goes quiet, an idle flush closes
 * everything seen so far. Processing time (`nowMs`) is always given, never read: the backtest runs the same
 * clock in simulated time.
 */
import type { DetectorConfig } from './detector-config.js';
import { MINUTE } from './key-state.js';

export class EventClock {
  /** Per partition: the newest event time seen there, and when an item last arrived from it. */
  private readonly partitionHigh = new Map<number, { eventMs: number; seenAt: number }>();
  private maxEventMs = -Infinity;
  private lastObservedAt = 0;
  /** When items started flowing again after the whole stream was quiet (see watermarkMs). */
  private resumedAt = 0;
  /** The watermark at the moment the stream resumed, kept for partitionIdleMs after it. */
  private heldWatermark = -Infinity;

  constructor(private readonly config: Pick<DetectorConfig, 'latenessMs' | 'partitionIdleMs' | 'idleFlushMs'>) {}

  /**
   * Whether an item dated `eventMs` is dated ahead of the clock by more than the allowed lateness (a pusher's
   * bad clock, or a crafted 2099). Event time is bounded by processing time: nothing has happened yet in the
   * future. A few seconds ahead (clock skew within the lateness) is trusted, as now (see eventTime).
   */
  isAhead(eventMs: number, nowMs: number): boolean {
    return eventMs > nowMs + this.config.latenessMs;
  }

  /** The event time an item counts at: its date, or now if dated ahead. */
  eventTime(eventMs: number, nowMs: number): number {
    return Math.min(eventMs, nowMs);
  }

  /**
   * A trusted item (not isAhead) arrived from `partition`. Items dated ahead must not come here: they would
   * move the watermark and close minutes still running (in a backfill, every minute between the stream and
   * now), and a trickle of them would keep the idle flush from ever closing the last real minute.
   */
  observe(partition: number, eventMs: number, nowMs: number): void {
    if (nowMs - this.lastObservedAt >= this.config.partitionIdleMs) {
      // The stream resumes (or starts): hold the watermark where it was for a grace period, so that
      // partitions whose backlog arrives a few fetches later, even ones never seen yet, still count.
      // (Never below the hold already in force, and computed without it: a sparse stream, one item
      // every few seconds, resumes at every item and would otherwise hold the watermark forever.)
      this.heldWatermark = Math.max(this.heldWatermark, this.flowingWatermarkMs(this.lastObservedAt));
      this.resumedAt = nowMs;
    }
    this.lastObservedAt = nowMs;
    const high = this.partitionHigh.get(partition);
    if (!high || eventMs > high.eventMs) this.partitionHigh.set(partition, { eventMs, seenAt: nowMs });
    else high.seenAt = nowMs;
    this.maxEventMs = Math.max(this.maxEventMs, eventMs);
  }

  /** The event time up to which every minute can be evaluated. */
  watermarkMs(nowMs: number): number {
    if (this.maxEventMs === -Infinity) return -Infinity;
    // Idle: close what was seen, but never a minute that the clock says is still running.
    if (nowMs - this.lastObservedAt >= this.config.idleFlushMs) {
      return Math.min(this.maxEventMs + MINUTE, nowMs - this.config.latenessMs);
    }
    if (nowMs - this.resumedAt < this.config.partitionIdleMs) return this.heldWatermark;
    return this.flowingWatermarkMs(nowMs);
  }

  /** The watermark while items flow: the slowest active partition, minus the allowed lateness. */
  private flowingWatermarkMs(nowMs: number): number {
    if (this.maxEventMs === -Infinity) return -Infinity;
    let low = Infinity;
    // A partition counts as idle only if it stayed quiet while the stream was flowing: after an
    // outage upstream every partition's backlog arrives one fetch after another, and a partition
    // whose turn has not come yet must still hold the watermark back, or its items would all be late.
    for (const { eventMs, seenAt } of this.partitionHigh.values()) {
      if (nowMs - Math.max(seenAt, this.resumedAt) < this.config.partitionIdleMs) low = Math.min(low, eventMs);
    }
    if (low === Infinity) low = this.maxEventMs;
    return low - this.config.latenessMs;
  }
}
