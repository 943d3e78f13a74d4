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
    if (this.ids.has(id)) {
      this.ids.delete(id); // refresh recency
      this.ids.set(id, true);
      return false;
    }
    this.ids.set(id, true);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.keys().next().value as string);
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}
