import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../core/errors';

/**
 * The SQLite schema as an ordered list of migrations; `PRAGMA user_version` records how many
 * have been applied. Append a migration to change the schema, never edit a released one.
 * Times are integer milliseconds since the epoch.
 */
const MIGRATIONS: readonly string[] = [
  // v1
  `
  CREATE TABLE edges (
    scope     TEXT    NOT NULL,
    protocol  TEXT    NOT NULL,
    source    TEXT    NOT NULL,
    dest      TEXT    NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (scope, protocol, source, dest)
  ) WITHOUT ROWID;
  -- prune deletes by last_seen; listEdges sorts by it
  CREATE INDEX edges_last_seen ON edges (last_seen);

  CREATE TABLE scopes (
    scope      TEXT    NOT NULL PRIMARY KEY,
    first_seen INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- the sinks registered by the last init(); each new alert gets one delivery per row
  CREATE TABLE sinks (
    name          TEXT    NOT NULL PRIMARY KEY,
    registered_at INTEGER NOT NULL
  ) WITHOUT ROWID;

  -- rowid table on purpose: rowid orders alerts created in the same millisecond
  CREATE TABLE alerts (
    id            TEXT    NOT NULL PRIMARY KEY,
    payload       TEXT    NOT NULL, -- AlertDraft as JSON
    previous_seen INTEGER,
    created_at    INTEGER NOT NULL
  );
  CREATE INDEX alerts_created ON alerts (created_at);

  CREATE TABLE deliveries (
    alert_id    TEXT    NOT NULL,
    sink        TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until INTEGER,
    next_at     INTEGER NOT NULL,
    last_error  TEXT,
    PRIMARY KEY (alert_id, sink)
  ) WITHOUT ROWID;
  -- claimAlerts looks only at pending entries of one sink that are due
  CREATE INDEX deliveries_due ON deliveries (sink, next_at) WHERE state = 'pending';
  CREATE INDEX deliveries_state ON deliveries (state, sink);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database.Database): number {
  const v = db.pragma('user_version', { simple: true });
  return typeof v === 'number' ? v : Number(v);
}

/**
 * Brings the schema to SCHEMA_VERSION. Runs in an IMMEDIATE transaction and re-reads the
 * version inside it, so two processes opening a fresh file at once migrate it exactly once.
 */
export function migrate(db: Database.Database): void {
  db.transaction(() => {
    const current = schemaVersion(db);
    if (current > SCHEMA_VERSION) {
      throw new StoreUnavailableError(
        `sqlite database ${db.name} has schema version ${current}, newer than the ${SCHEMA_VERSION} this build supports`,
      );
    }
    for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    if (current < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
