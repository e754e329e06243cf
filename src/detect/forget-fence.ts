import { performance } from 'node:perf_hooks';
import { edgeId, type EdgeKey } from '../core/edge';

/**
 * A store answer that says "known" may be older than a forget the detector has applied since:
 * asked before the forget, answered after it; or, on Redis, asked between the forget log's
 * entry and the edge's delete (two steps, two slots). Caching that answer would make the
 * forgotten edge known again for as long as it stays in the cache. The fence remembers recent
 * forgets so the detector does not cache such answers; the edge's next point asks the store again.
 * Times are monotonic (performance.now), independent of the detector's injectable clock.
 */
export class ForgetFence {
  /** Edge id → when its forget was applied, oldest first. */
  private readonly forgotten = new Map<string, number>();
  private clearedAt = -Infinity;

  constructor(
    /** Answers asked up to this long after a forget was applied are not cached either (Redis: the log-to-delete lag). */
    private readonly graceMs = 2_000,
    /** Forgets are remembered this long: longer than any store call lasts. */
    private readonly keepMs = 60_000,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /** Call before asking the store; pass the result to `stale` with its answer. */
  begin(): number {
    return this.clock();
  }

  forget(key: EdgeKey): void {
    const now = this.clock();
    for (const [id, at] of this.forgotten) {
      if (at >= now - this.keepMs) break;
      this.forgotten.delete(id);
    }
    const id = edgeId(key);
    this.forgotten.delete(id); // re-inserted last: the map stays in time order
    this.forgotten.set(id, now);
  }

  /** Every edge was dropped (the cache was cleared): answers asked before now are stale. */
  clear(): void {
    this.clearedAt = this.clock();
  }

  /** Whether an answer about `key` asked at `askedAt` (begin()) must not be cached. */
  stale(key: EdgeKey, askedAt: number): boolean {
    if (this.clearedAt >= askedAt) return true;
    if (this.forgotten.size === 0) return false;
    const at = this.forgotten.get(edgeId(key));
    return at !== undefined && at >= askedAt - this.graceMs;
  }
}
