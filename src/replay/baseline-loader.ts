import { edgeId, GLOBAL_SCOPE, type EdgeKey } from '../core/edge';
import type { BaselineStore, Sighting } from '../store/store';
import type { ReplayPoint } from './replay-point';

export interface LoaderOptions {
  baselineWindowMs: number;
  clockSkewMs: number;
  baselineScope: 'cluster' | 'global';
  nowMs: number;
  /** Distinct edges per store call. Default 5000. */
  batchEdges?: number;
}

/** Why a well-formed point was not loaded. */
export type PointSkip = 'older than baseline_window' | 'in the future' | 'no time';

/**
 * Loads historical points into the baseline, never alerting: points are coalesced per edge
 * (earliest, latest) and written with `observe` without alert drafts, one batch of distinct
 * edges per store call (and one to the alert-context index), so a 30-day history costs a few
 * hundred store calls, not one per point.
 * Each scope's earliest time goes to `touchScope`, so the learning period counts from the
 * history: a replayed month means no learning period.
 */
export class BaselineLoader {
  private batch = new Map<string, Sighting>();
  private readonly earliest = new Map<string, number>();
  private readonly seen = new Set<string>();
  private readonly batchEdges: number;
  points = 0;
  newEdges = 0;

  constructor(
    private readonly store: BaselineStore,
    private readonly opts: LoaderOptions,
  ) {
    this.batchEdges = opts.batchEdges ?? 5000;
  }

  /** Distinct edges loaded so far. */
  get edges(): number {
    return this.seen.size;
  }

  /** A batch is full: call flush() before adding more. */
  get full(): boolean {
    return this.batch.size >= this.batchEdges;
  }

  /** Take a point into the batch; returns why it was skipped, or null. */
  add(p: ReplayPoint): PointSkip | null {
    const { nowMs, baselineWindowMs, clockSkewMs } = this.opts;
    if (!(p.timeMs > 0)) return 'no time';
    if (p.timeMs > nowMs + clockSkewMs) return 'in the future';
    // Pruned at once anyway, and "new" is decided against the window: older points change nothing.
    if (p.timeMs < nowMs - baselineWindowMs) return 'older than baseline_window';
    const key: EdgeKey = { scope: this.opts.baselineScope === 'global' ? GLOBAL_SCOPE : p.cluster, protocol: p.protocol, source: p.source, dest: p.dest };
    const id = edgeId(key);
    const cur = this.batch.get(id);
    if (cur === undefined) this.batch.set(id, { key, firstMs: p.timeMs, lastMs: p.timeMs });
    else {
      if (p.timeMs < cur.firstMs) cur.firstMs = p.timeMs;
      if (p.timeMs > cur.lastMs) cur.lastMs = p.timeMs;
    }
    this.seen.add(id);
    const first = this.earliest.get(key.scope);
    if (first === undefined || p.timeMs < first) this.earliest.set(key.scope, p.timeMs);
    this.points++;
    return null;
  }

  /** Write what is batched (no alert drafts: nothing can alert). */
  async flush(): Promise<void> {
    if (this.batch.size > 0) {
      const sightings = [...this.batch.values()];
      this.batch = new Map();
      // The alert-context index learns the history too (which workloads exist since when).
      await this.store.indexEdges(sightings);
      const outcomes = await this.store.observe(sightings, this.opts.baselineWindowMs);
      for (const o of outcomes) if (o.isNew) this.newEdges++;
    }
    for (const [scope, t] of this.earliest) await this.store.touchScope(scope, t);
    this.earliest.clear();
  }
}
