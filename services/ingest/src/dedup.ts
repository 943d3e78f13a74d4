/**
 * Exact de-duplication: remembers the most recent `capacity` item ids (insertion-ordered Map as
 * an LRU), so a story that every poll of a feed returns again is published once.
 */
export class SeenIds {
  private readonly ids = new Map<string, true>();
  constructor(private readonly capacity: number) {
    if (capacity < 1) throw new RangeError('capacity must be >= 1');
  }

  /** True the first time an id is offered (and remembers it), false afterwards. */
  firstSighting(id: string): boolean {
    if (this.has(id)) return false;
    this.add(id);
    return true;
  }

  /** Whether the id was seen; refreshes its recency if so. */
  has(id: string): boolean {
    if (!this.ids.has(id)) return false;
    this.ids.delete(id);
    this.ids.set(id, true);
    return true;
  }

  /** Remembers an id (e.g. once its item is acknowledged by Kafka), forgetting the oldest beyond capacity. */
  add(id: string): void {
    this.ids.delete(id);
    this.ids.set(id, true);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value as string);
  }

  /** Forgets an id (a link id whose entry is now known by its own id). */
  forget(id: string): void {
    this.ids.delete(id);
  }

  get size(): number {
    return this.ids.size;
  }
}
