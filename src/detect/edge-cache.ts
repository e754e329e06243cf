/**
 * Known-edge cache: edge id → a last-seen time the store is known to hold (or will hold once the
 * refresh buffer flushes). Bounded: past `maxEntries` the oldest-inserted entries are evicted,
 * and an evicted edge only costs one store round trip on its next point, never a wrong answer.
 */
export class EdgeCache {
  private readonly map = new Map<string, number>();

  constructor(private readonly maxEntries: number) {}

  get(id: string): number | undefined {
    return this.map.get(id);
  }

  /** Raise the cached last-seen of `id` to at least `lastMs`. */
  raise(id: string, lastMs: number): void {
    const cur = this.map.get(id);
    if (cur !== undefined) {
      if (lastMs > cur) this.map.set(id, lastMs);
      return;
    }
    if (this.maxEntries <= 0) return;
    if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(id, lastMs);
  }

  delete(id: string): void {
    this.map.delete(id);
  }

  clear(): void {
    this.map.clear();
  }

  get size(): number {
    return this.map.size;
  }
}
