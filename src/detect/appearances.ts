import type { EdgeKey } from '../core/edge';
import type { Observation } from '../core/observation';

/** A timed point of one edge: the observation with its effective time (after re-timing). */
export interface TimedPoint {
  id: string;
  key: EdgeKey;
  timeMs: number;
  obs: Observation;
}

/** A run of points of one edge with no gap longer than the baseline window. */
export interface Appearance {
  id: string;
  key: EdgeKey;
  firstMs: number;
  lastMs: number;
  /** The observation at firstMs: its attributes go into the alert. */
  first: Observation;
}

/**
 * Group the points of a batch into appearances, in time order per edge. Points arrive in any
 * order (out-of-order and replayed batches), so the earliest point of a run, not the first to
 * arrive, is the one an alert is about; a gap longer than the window starts a new appearance.
 */
export function groupAppearances(points: TimedPoint[], windowMs: number): Appearance[] {
  const byEdge = new Map<string, TimedPoint[]>();
  for (const p of points) {
    const list = byEdge.get(p.id);
    if (list) list.push(p);
    else byEdge.set(p.id, [p]);
  }
  const out: Appearance[] = [];
  for (const list of byEdge.values()) {
    if (list.length > 1) list.sort((a, b) => a.timeMs - b.timeMs);
    let cur: Appearance | null = null;
    for (const p of list) {
      if (cur && p.timeMs - cur.lastMs <= windowMs) {
        cur.lastMs = p.timeMs;
        continue;
      }
      cur = { id: p.id, key: p.key, firstMs: p.timeMs, lastMs: p.timeMs, first: p.obs };
      out.push(cur);
    }
  }
  return out;
}
