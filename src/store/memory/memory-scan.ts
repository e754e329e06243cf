import { edgeId, type EdgeKey } from '../../core/edge';
import type { EdgePage, EdgeScan } from '../store';
import { decodeCursor, encodeCursor } from '../scan-cursor';

type Cursor = [lastSeen: number, id: string];
const isCursor = (p: unknown[]): p is Cursor => p.length === 2 && typeof p[0] === 'number' && typeof p[1] === 'string';

/** (last-seen, edge id) descending: the memory store's total order of a scan. */
function before(aMs: number, aId: string, bMs: number, bId: string): boolean {
  return aMs > bMs || (aMs === bMs && aId > bId);
}

/** scanEdges over the memory store's rows: those after the cursor, sorted, the first `limit`. */
export function scanRows(rows: Iterable<{ key: EdgeKey; lastSeenMs: number }>, q: EdgeScan): EdgePage {
  if (q.limit <= 0) return { edges: [], cursor: null };
  const after = q.cursor === undefined ? null : decodeCursor(q.cursor, isCursor);
  const since = q.sinceMs ?? -Infinity;
  const hits: { id: string; key: EdgeKey; lastSeenMs: number }[] = [];
  for (const r of rows) {
    if (r.lastSeenMs < since || (q.scope !== undefined && r.key.scope !== q.scope) || (q.protocol !== undefined && r.key.protocol !== q.protocol)) continue;
    const id = edgeId(r.key);
    if (after && !before(after[0], after[1], r.lastSeenMs, id)) continue;
    hits.push({ id, key: r.key, lastSeenMs: r.lastSeenMs });
  }
  hits.sort((a, b) => (before(a.lastSeenMs, a.id, b.lastSeenMs, b.id) ? -1 : 1));
  const page = hits.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    edges: page.map((h) => ({ key: { ...h.key }, lastSeenMs: h.lastSeenMs })),
    cursor: hits.length > q.limit ? encodeCursor([last.lastSeenMs, last.id]) : null,
  };
}
