import type Database from 'better-sqlite3';
import type { Protocol } from '../../core/observation';
import type { EdgePage, EdgeScan } from '../store';
import { decodeCursor, encodeCursor } from '../scan-cursor';

type Row = [scope: string, protocol: Protocol, source: string, dest: string, lastSeen: number];
type Cursor = [lastSeen: number, scope: string, protocol: string, source: string, dest: string];

const COLUMNS = 'scope, protocol, source, dest, last_seen';
// edges_last_seen of a WITHOUT ROWID table carries the primary key: (last_seen, scope, protocol,
// source, dest) is a total order the index walks backwards, so no page sorts anything.
const ORDER = 'ORDER BY last_seen DESC, scope DESC, protocol DESC, source DESC, dest DESC LIMIT @limit';
// Filters are checked on the rows the index walk meets (a filtered page reads past the others):
// an index by scope would lose the last-seen order the scan promises.
const FILTER = 'last_seen >= @since AND (@scope IS NULL OR scope = @scope) AND (@protocol IS NULL OR protocol = @protocol)';
const FIRST = `SELECT ${COLUMNS} FROM edges WHERE ${FILTER} ${ORDER}`;
const NEXT = `SELECT ${COLUMNS} FROM edges WHERE ${FILTER} AND (last_seen, scope, protocol, source, dest) < (@l, @s, @p, @src, @d) ${ORDER}`;

type Filter = { since: number; scope: string | null; protocol: string | null; limit: number };

interface Statements {
  first: Database.Statement<[Filter], Row>;
  next: Database.Statement<[Filter & { l: number; s: string; p: string; src: string; d: string }], Row>;
}

const prepared = new WeakMap<Database.Database, Statements>();

function statements(db: Database.Database): Statements {
  let st = prepared.get(db);
  if (!st) {
    st = { first: db.prepare<[Filter], Row>(FIRST).raw(), next: db.prepare<Parameters<Statements['next']['all']>, Row>(NEXT).raw() };
    prepared.set(db, st);
  }
  return st;
}

const isCursor = (p: unknown[]): p is Cursor =>
  p.length === 5 && typeof p[0] === 'number' && p.slice(1).every((x) => typeof x === 'string');

/** scanEdges on SQLite: keyset pagination over edges_last_seen, the cursor being the last row. */
export function scanEdges(db: Database.Database, q: EdgeScan): EdgePage {
  if (q.limit <= 0) return { edges: [], cursor: null };
  const st = statements(db);
  const filter: Filter = { since: q.sinceMs ?? Number.MIN_SAFE_INTEGER, scope: q.scope ?? null, protocol: q.protocol ?? null, limit: q.limit };
  let rows: Row[];
  if (q.cursor === undefined) rows = st.first.all(filter);
  else {
    const [l, s, p, src, d] = decodeCursor(q.cursor, isCursor);
    rows = st.next.all({ ...filter, l, s, p, src, d });
  }
  const edges = rows.map((r) => ({ key: { scope: r[0], protocol: r[1], source: r[2], dest: r[3] }, lastSeenMs: r[4] }));
  const last = rows[rows.length - 1];
  return { edges, cursor: rows.length < q.limit ? null : encodeCursor([last[4], last[0], last[1], last[2], last[3]]) };
}
