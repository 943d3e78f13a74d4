/**
 * Collects items submitted by concurrent callers into batches bounded by size and by wait time,
 * processes one batch at a time, and hands each caller the results for its own items in order.
 *
 * Why: the classifier's cost per item falls steeply with batch size, and the ClickHouse sink wants
 * few large inserts, but Kafka hands us one small batch per partition. Items from several
 * partitions share one model call or insert while each partition still commits only what was
 * processed.
 */
export interface MicroBatcherOptions<T, R> {
  /** A batch is flushed as soon as it holds this many items. */
  maxItems: number;
  /** ...or this long after its first item arrived, whichever comes first. */
  maxWaitMs: number;
  /** Processes one batch; must return exactly one result per item, in order. */
  process: (items: T[]) => Promise<R[]>;
}

interface Pending<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class MicroBatcher<T, R> {
  private queue: Pending<T, R>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly opts: MicroBatcherOptions<T, R>) {
    if (!(opts.maxItems >= 1)) throw new RangeError('maxItems must be >= 1');
    if (!(opts.maxWaitMs >= 0)) throw new RangeError('maxWaitMs must be >= 0');
  }

  /** Resolves with one result per item once every batch holding these items has been processed. */
  submit(items: readonly T[]): Promise<R[]> {
    const results = items.map(
      (item) => new Promise<R>((resolve, reject) => this.queue.push({ item, resolve, reject })),
    );
    this.schedule();
    return Promise.all(results);
  }

  /** Items waiting for a batch (not counting the one being processed). */
  get pending(): number {
    return this.queue.length;
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    if (this.queue.length >= this.opts.maxItems) {
      this.clearTimer();
      void this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.opts.maxWaitMs);
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private async flush(): Promise<void> {
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, this.opts.maxItems);
    try {
      const results = await this.opts.process(batch.map((p) => p.item));
      if (results.length !== batch.length) {
        throw new Error(`batch processor returned ${results.length} results for ${batch.length} items`);
      }
      batch.forEach((p, i) => p.resolve(results[i] as R));
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}
