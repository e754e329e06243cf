import type Database from 'better-sqlite3';
import type { EdgeKey } from '../../core/edge';
import type { Protocol } from '../../core/observation';
import { draftOf, type EdgeQuery, type EdgeRecord, type EdgeRefresh, type ObserveOutcome, type ScopeRecord, type Sighting } from '../store';
import type { Statements } from './statements';
import type { StormPolicy } from '../storm';
import { enqueueAlert } from './sqlite-outbox';
import { StormBatch, type SqliteStorm } from './sqlite-storm';

interface EdgeListRow {
  scope: string;
  protocol: Protocol;
  source: string;
  dest: string;
  last_seen: number;
}
type ListParams = { scope?: string; protocol?: string; since?: number; limit: number };

/**
 * The baseline half of SqliteStore. Each function runs inside a transaction the store opens
 * (BEGIN IMMEDIATE, so the read of last-seen and the write that follows cannot interleave
 * with another connection's: that is what makes "new" decided once across processes).
 */
export class SqliteEdges {
  /** listEdges statements by filter shape (at most 8), so each is prepared once. */
  private readonly listStatements = new Map<string, Database.Statement<[ListParams], EdgeListRow>>();

  constructor(
    private readonly db: Database.Database,
    private readonly st: Statements,
  ) {}

  /** With `storm`, new edges' alerts are counted in their cluster's window (`stormState`) in this transaction. */
  observe(sightings: Sighting[], baselineWindowMs: number, nowMs: number, storm?: { policy: StormPolicy; state: SqliteStorm }): ObserveOutcome[] {
    const out: ObserveOutcome[] = [];
    const batch = new StormBatch();
    for (const s of sightings) {
      const { scope, protocol, source, dest } = s.key;
      const row = this.st.getEdge.get(scope, protocol, source, dest);
      const previous = row ? row.last_seen : null;
      const isNew = previous === null || previous < s.firstMs - baselineWindowMs;
      const lastSeenMs = previous === null ? s.lastMs : Math.max(previous, s.lastMs);
      // Same transaction as the edge write: the alert exists if and only if the edge was recorded new.
      const o: ObserveOutcome = { isNew, previousSeenMs: previous, lastSeenMs, alerted: false };
      let held: string | null = null;
      if (isNew && s.alert !== undefined) {
        // The edge row keeps a held-back id (v9): no storm_decisions row per held-back edge.
        const decision = storm ? storm.state.decide(s.alert, protocol, storm.policy, nowMs, batch, 'edge') : 'alert';
        // The draft is built only here: a held-back edge's never is (LazyAlert).
        if (decision === 'alert') o.alerted = enqueueAlert(this.st, draftOf(s.alert), previous, nowMs);
        if (decision === 'held') {
          o.heldBack = true;
          held = s.alert.id;
        }
      }
      if (isNew) this.st.upsertNewEdge.run(scope, protocol, source, dest, lastSeenMs, held);
      else if (lastSeenMs !== previous) this.st.upsertEdge.run(scope, protocol, source, dest, lastSeenMs);
      out.push(o);
    }
    storm?.state.finish(batch);
    return out;
  }

  refresh(updates: EdgeRefresh[]): void {
    for (const u of updates) this.st.raiseEdge.run(u.lastMs, u.key.scope, u.key.protocol, u.key.source, u.key.dest, u.lastMs);
  }

  touchScope(scope: string, pointMs: number): number {
    const row = this.st.touchScope.get(scope, pointMs);
    return row ? row.first_seen : pointMs;
  }

  /** One slice of prune's edges (after SqliteEdgeIndex.prune of the same slice); returns edges deleted. */
  pruneSlice(beforeMs: number, slice: number): number {
    return this.st.pruneEdges.run({ before: beforeMs, slice }).changes;
  }

  /** Finished outbox entries created before `beforeMs` (after the edges). */
  pruneOutbox(beforeMs: number): void {
    this.st.pruneDeliveries.run({ before: beforeMs });
    this.st.pruneAlerts.run({ before: beforeMs });
  }

  list(q: EdgeQuery): EdgeRecord[] {
    if (q.limit <= 0) return [];
    const params: ListParams = { limit: q.limit };
    const where: string[] = [];
    if (q.scope !== undefined) {
      where.push('scope = @scope');
      params.scope = q.scope;
    }
    if (q.protocol !== undefined) {
      where.push('protocol = @protocol');
      params.protocol = q.protocol;
    }
    if (q.sinceMs !== undefined) {
      where.push('last_seen >= @since');
      params.since = q.sinceMs;
    }
    const shape = where.join(' AND ');
    let stmt = this.listStatements.get(shape);
    if (!stmt) {
      stmt = this.db.prepare<[ListParams], EdgeListRow>(
        `SELECT scope, protocol, source, dest, last_seen FROM edges ${shape ? `WHERE ${shape}` : ''} ORDER BY last_seen DESC LIMIT @limit`,
      );
      this.listStatements.set(shape, stmt);
    }
    return stmt.all(params).map((r) => ({
      key: { scope: r.scope, protocol: r.protocol, source: r.source, dest: r.dest },
      lastSeenMs: r.last_seen,
    }));
  }

  forget(key: EdgeKey): boolean {
    // Its held-back decision outlives the row: the same appearance seen again is decided already.
    this.st.keepHeldDecision.run(key.scope, key.protocol, key.source, key.dest);
    return this.st.deleteEdge.run(key.scope, key.protocol, key.source, key.dest).changes > 0;
  }

  count(): number {
    return this.st.countEdges.get()?.n ?? 0;
  }

  scopes(): ScopeRecord[] {
    return this.st.listScopes.all().map((r) => ({ scope: r.scope, firstPointMs: r.first_seen }));
  }
}
