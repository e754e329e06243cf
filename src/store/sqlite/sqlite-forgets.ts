import type Database from 'better-sqlite3';
import type { EdgeKey } from '../../core/edge';
import type { Protocol } from '../../core/observation';
import { FORGET_LOG_MAX_ENTRIES, seqAfter } from '../forget-log';
import type { ForgetLogPage } from '../store';

type KeyParams = [scope: string, protocol: string, source: string, dest: string];
interface ForgetRow {
  scope: string;
  protocol: Protocol;
  source: string;
  dest: string;
}

/**
 * The forget log of SqliteStore (table `forgets`, migration v3): each forget appends a row in
 * the transaction that deletes the edge, so every process on the file sees the delete and the
 * log entry together. Rows are numbered by `seq`; the last FORGET_LOG_MAX_ENTRIES are kept.
 */
export class SqliteForgets {
  private readonly append: Database.Statement<[...KeyParams, nowMs: number]>;
  private readonly trim: Database.Statement<[keepAfter: number]>;
  private readonly end: Database.Statement<[], { end: number }>;
  private readonly after: Database.Statement<[seq: number], ForgetRow>;

  constructor(db: Database.Database) {
    this.append = db.prepare('INSERT INTO forgets (scope, protocol, source, dest, forgot_at) VALUES (?, ?, ?, ?, ?)');
    this.trim = db.prepare('DELETE FROM forgets WHERE seq <= ?');
    this.end = db.prepare('SELECT coalesce(max(seq), 0) AS end FROM forgets');
    this.after = db.prepare('SELECT scope, protocol, source, dest FROM forgets WHERE seq > ? ORDER BY seq');
  }

  /** Append a forget and trim the log; inside the write transaction that deletes the edge. */
  log(key: EdgeKey, nowMs: number): void {
    const seq = Number(this.append.run(key.scope, key.protocol, key.source, key.dest, nowMs).lastInsertRowid);
    this.trim.run(seq - FORGET_LOG_MAX_ENTRIES);
  }

  /** Inside a read transaction, so the end and the rows are one snapshot. */
  since(cursor: string | null): ForgetLogPage {
    const end = this.end.get()?.end ?? 0;
    const after = seqAfter(cursor, end);
    if (after === null) return { cursor: String(end), keys: [], truncated: cursor !== null };
    const keys = this.after.all(after).map((r) => ({ scope: r.scope, protocol: r.protocol, source: r.source, dest: r.dest }));
    return { cursor: String(end), keys, truncated: false };
  }
}
