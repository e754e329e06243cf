import type Database from 'better-sqlite3';
import type { EdgeKey } from '../../core/edge';
import { assembleFacts, edgeEnds, endOps, otherProtocol, type EndFacts, type EndOp } from '../edge-ends';
import type { EdgeFacts, Sighting } from '../store';
import { PRUNE_SLICE_SQL } from './statements';

type Stmt<P extends unknown[], R = unknown> = Database.Statement<P, R>;
/** A workload's end of one edge; d1 = d2 except for a self-loop, which is both directions. */
type EndParams = { scope: string; workload: string; protocol: string; peer: string; d1: string; d2: string };

/** Not this edge (in its direction(s) and protocol): the rows of the workload's other edges. */
const OTHERS = `scope = @scope AND workload = @workload AND NOT (protocol = @protocol AND peer = @peer AND dir IN (@d1, @d2))`;

/**
 * The per-workload index of alert context in table edge_ends (migration v4; layout in
 * src/store/edge-ends.ts). Every function runs inside a transaction SqliteStore opens; prune
 * and forget run in the transaction that deletes the edges, so the index never outlives them.
 */
export class SqliteEdgeIndex {
  private readonly st: {
    facts: Stmt<[EndParams], { first: number | null; peers: number }>;
    hasMember: Stmt<[scope: string, workload: string, protocol: string, dir: string, peer: string], { one: number }>;
    record: Stmt<[scope: string, workload: string, protocol: string, dir: string, peer: string, first: number]>;
    remove: Stmt<[scope: string, workload: string, protocol: string, dir: string, peer: string]>;
    pruneSources: Stmt<[{ before: number; slice: number }]>;
    pruneDests: Stmt<[{ before: number; slice: number }]>;
  };

  constructor(db: Database.Database) {
    this.st = {
      facts: db.prepare(`SELECT min(first_seen) AS first, count(DISTINCT peer) AS peers FROM edge_ends WHERE ${OTHERS}`),
      hasMember: db.prepare('SELECT 1 AS one FROM edge_ends WHERE scope = ? AND workload = ? AND protocol = ? AND dir = ? AND peer = ?'),
      record: db.prepare(
        `INSERT INTO edge_ends (scope, workload, protocol, dir, peer, first_seen) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (scope, workload, protocol, dir, peer) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)`,
      ),
      remove: db.prepare('DELETE FROM edge_ends WHERE scope = ? AND workload = ? AND protocol = ? AND dir = ? AND peer = ?'),
      // The ends of the edges the slice of prune is about to delete (edges_last_seen finds them;
      // the PK the rows). One statement per end: with a UNION in the IN, SQLite scans edge_ends.
      pruneSources: db.prepare(`DELETE FROM edge_ends WHERE (scope, workload, protocol, dir, peer) IN (SELECT scope, source, protocol, '>', dest FROM (${PRUNE_SLICE_SQL}))`),
      pruneDests: db.prepare(`DELETE FROM edge_ends WHERE (scope, workload, protocol, dir, peer) IN (SELECT scope, dest, protocol, '<', source FROM (${PRUNE_SLICE_SQL}))`),
    };
  }

  index(sightings: readonly Pick<Sighting, 'key' | 'firstMs'>[]): EdgeFacts[] {
    const ops = endOps(sightings);
    return assembleFacts(sightings.length, ops, ops.map((op) => this.apply(op)));
  }

  /** Before the slice of edges older than `beforeMs` is deleted (SqliteEdges.pruneSlice), in the same transaction. */
  prune(beforeMs: number, slice: number): void {
    this.st.pruneSources.run({ before: beforeMs, slice });
    this.st.pruneDests.run({ before: beforeMs, slice });
  }

  forget(key: EdgeKey): void {
    for (const op of edgeEnds(key)) for (const d of dirsOf(op)) this.st.remove.run(op.scope, op.workload, op.protocol, d, op.peer);
  }

  private apply(op: EndOp): EndFacts {
    const dirs = dirsOf(op);
    const p: EndParams = { scope: op.scope, workload: op.workload, protocol: op.protocol, peer: op.peer, d1: dirs[0], d2: dirs[dirs.length - 1] };
    const row = this.st.facts.get(p);
    // The other protocol's member would be one of the workload's other rows: none (peers 0), no lookup.
    const other = op.dirs !== '<' && (row?.peers ?? 0) > 0 && this.st.hasMember.get(op.scope, op.workload, otherProtocol(op.protocol), '>', op.peer) !== undefined;
    for (const d of dirs) this.st.record.run(op.scope, op.workload, op.protocol, d, op.peer, op.firstMs);
    return { firstSeenMs: row?.first ?? null, peers: row?.peers ?? 0, otherProtocol: other };
  }
}

function dirsOf(op: Pick<EndOp, 'dirs'>): Array<'>' | '<'> {
  return op.dirs === '><' ? ['>', '<'] : [op.dirs];
}
