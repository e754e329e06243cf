import type { EdgeKey } from '../core/edge';
import type { BaselineStore, EdgeRefresh } from '../store/store';

/**
 * Last-seen refreshes of known edges, coalesced per edge (max time) and written to the store in
 * one batch per flush, so the store sees one command per flush instead of one per point.
 * A failed flush keeps its entries for the next one.
 */
export class RefreshBuffer {
  private pending = new Map<string, EdgeRefresh>();
  private flushing: Promise<void> | null = null;

  constructor(private readonly store: BaselineStore) {}

  add(id: string, key: EdgeKey, lastMs: number): void {
    const cur = this.pending.get(id);
    if (cur === undefined) this.pending.set(id, { key, lastMs });
    else if (lastMs > cur.lastMs) cur.lastMs = lastMs;
  }

  get size(): number {
    return this.pending.size;
  }

  /** Write everything pending; concurrent calls share one flush. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    if (this.pending.size === 0) return Promise.resolve();
    const batch = this.pending;
    this.pending = new Map();
    this.flushing = this.store
      .refresh([...batch.values()])
      .catch((err: unknown) => {
        // Put the batch back under anything newer that arrived meanwhile, then report.
        for (const [id, r] of batch) this.add(id, r.key, r.lastMs);
        throw err;
      })
      .finally(() => {
        this.flushing = null;
      });
    return this.flushing;
  }
}
