/**
 * Each view is read from ClickHouse at most once per refresh interval however many people watch it: readers share
 * the cached JSON, and concurrent requests for a stale view wait for one read rather than starting their own.
 */

export interface CachedView {
  /** The view as JSON, ready to send. */
  body: string;
  /** When it was read (ms). */
  at: number;
}

export class ViewCache {
  private readonly entries = new Map<string, CachedView>();
  private readonly inFlight = new Map<string, Promise<CachedView>>();

  constructor(
    private readonly load: (key: string) => Promise<unknown>,
    private readonly maxAgeMs: number,
    /** Views kept at most (a ticker page is a view): the least recently read ones go first. */
    private readonly maxEntries = 256,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string): Promise<CachedView> {
    const cached = this.entries.get(key);
    if (cached && this.now() - cached.at < this.maxAgeMs) return Promise.resolve(cached);
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.load(key)
        .then((view) => {
          const entry = { body: JSON.stringify(view), at: this.now() };
          this.entries.delete(key);
          this.entries.set(key, entry);
          while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
          return entry;
        })
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }
}
