/**
 * Runs one poll loop per source: the first polls spread over a second (so many sources don't hit
 * the network, or one platform's rate limit, at the same instant), then each source again after
 * the delay its last poll asks for. `stop()` cancels the timers and waits for polls in progress,
 * so what they fetched is published before the service exits. Shared by the RSS/Atom and the
 * social JSON pollers.
 */
export class PollScheduler<T> {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  /**
   * `poll` polls one target and resolves with the delay before its next poll. It must not reject:
   * both pollers catch, count and log a failed poll and answer with a backoff.
   */
  constructor(private readonly poll: (target: T) => Promise<number>) {}

  start(targets: ReadonlyArray<{ key: string; target: T }>): void {
    targets.forEach(({ key, target }, i) =>
      this.schedule(key, target, Math.round((i * 1000) / Math.max(1, targets.length))),
    );
  }

  private schedule(key: string, target: T, delayMs: number): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      const run = this.poll(target).then((nextMs) => {
        this.inFlight.delete(run);
        this.schedule(key, target, nextMs);
      });
      this.inFlight.add(run);
    }, delayMs);
    this.timers.set(key, t);
  }

  /** Stops scheduling and waits for polls in progress to finish publishing. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    await Promise.allSettled([...this.inFlight]);
  }
}
