import type Database from 'better-sqlite3';

/**
 * Named leases on the SQLite file (migration v6): one row per name. The store runs each call in
 * its own IMMEDIATE transaction, so processes sharing the file take a lease one at a time.
 */
export class SqliteLeases {
  /** Insert, or take over when the row is this owner's or expired; `changes` says which happened. */
  private readonly upsert: Database.Statement<[{ name: string; owner: string; until: number; now: number }]>;
  private readonly remove: Database.Statement<[name: string, owner: string, now: number]>;

  constructor(db: Database.Database) {
    this.upsert = db.prepare(
      `INSERT INTO leases (name, owner, expires_at) VALUES (@name, @owner, @until)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
       WHERE leases.owner = excluded.owner OR leases.expires_at <= @now`,
    );
    // An expired row is not a held lease: leave it (the next acquire overwrites it) and say so.
    this.remove = db.prepare('DELETE FROM leases WHERE name = ? AND owner = ? AND expires_at > ?');
  }

  acquire(name: string, owner: string, ttlMs: number, nowMs: number): boolean {
    return this.upsert.run({ name, owner, until: nowMs + ttlMs, now: nowMs }).changes > 0;
  }

  release(name: string, owner: string, nowMs: number): boolean {
    return this.remove.run(name, owner, nowMs).changes > 0;
  }
}
