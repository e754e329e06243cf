import type { Protocol } from '../core/observation';
import type { BaselineStore, EdgeRefresh } from '../store/store';

/** A pending refresh, keyed by the edge's 128-bit hash; it is also what the store is handed. */
interface Pending extends EdgeRefresh {
  h0: number;
  h1: number;
  h2: number;
  h3: number;
  /** The next pending edge whose hash shares lane 0 with this one. */
  next: Pending | undefined;
}

/**
 * Last-seen refreshes of known edges, coalesced per edge (max time) and written to the store in
 * one batch per flush, so the store sees one command per flush instead of one per point.
 * Entries are found by the edge's 128-bit cache hash (lane 0 picks a chain, all four lanes
 * confirm), so a point of an edge already pending builds no string and allocates nothing; the
 * key object is built once per edge per flush. A failed flush keeps its entries for the next.
 */
export class RefreshBuffer {
  private pending = new Map<number, Pending>();
  private count = 0;
  private flushing: Promise<void> | null = null;

  constructor(private readonly store: BaselineStore) {}

  /** Raise the pending last-seen of the edge hashed to `h` (its parts name it for the store). */
  add(h: Int32Array, scope: string, protocol: Protocol, source: string, dest: string, lastMs: number): void {
    const e = this.find(h[0], h[1], h[2], h[3]);
    if (e === undefined) this.insert({ key: { scope, protocol, source, dest }, lastMs, h0: h[0], h1: h[1], h2: h[2], h3: h[3], next: undefined });
    else if (lastMs > e.lastMs) e.lastMs = lastMs;
  }

  /** Drop the pending refresh of the edge hashed to `h` (a forgotten edge must not be written back). */
  delete(h: Int32Array): void {
    let prev: Pending | undefined;
    for (let e = this.pending.get(h[0]); e !== undefined; prev = e, e = e.next) {
      if (e.h1 !== h[1] || e.h2 !== h[2] || e.h3 !== h[3]) continue;
      if (prev !== undefined) prev.next = e.next;
      else if (e.next !== undefined) this.pending.set(h[0], e.next);
      else this.pending.delete(h[0]);
      this.count--;
      return;
    }
  }

  get size(): number {
    return this.count;
  }

  /**
   * Write everything pending, including what arrived while a flush was running (shutdown's flush
   * must not return with refreshes that came in behind the timer's): a call during a flush waits
   * for it, then flushes again.
   */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    if (this.count === 0) return Promise.resolve();
    const batch: Pending[] = [];
    for (const head of this.pending.values()) for (let e: Pending | undefined = head; e !== undefined; e = e.next) batch.push(e);
    this.pending = new Map();
    this.count = 0;
    this.flushing = this.store
      .refresh(batch)
      .catch((err: unknown) => {
        // Put the batch back under anything newer that arrived meanwhile, then report.
        for (const e of batch) {
          const cur = this.find(e.h0, e.h1, e.h2, e.h3);
          if (cur === undefined) this.insert(e);
          else if (e.lastMs > cur.lastMs) cur.lastMs = e.lastMs;
        }
        throw err;
      })
      .finally(() => {
        this.flushing = null;
      });
    return this.flushing;
  }

  private find(h0: number, h1: number, h2: number, h3: number): Pending | undefined {
    let e = this.pending.get(h0);
    while (e !== undefined && (e.h1 !== h1 || e.h2 !== h2 || e.h3 !== h3)) e = e.next;
    return e;
  }

  private insert(e: Pending): void {
    e.next = this.pending.get(e.h0);
    this.pending.set(e.h0, e);
    this.count++;
  }
}
