import type Database from 'better-sqlite3';
import { StoreUnavailableError } from '../../core/errors';
import { V1_BASELINE } from './migrations/v1-baseline';
import { V2_STORM } from './migrations/v2-storm';
import { V3_FORGETS } from './migrations/v3-forgets';
import { V4_CONTEXT } from './migrations/v4-context';
import { V5_TRIAGE } from './migrations/v5-triage';
import { V6_LEASES } from './migrations/v6-leases';
import { V7_TRAFFIC } from './migrations/v7-traffic';
import { V8_ANOMALIES } from './migrations/v8-anomalies';
import { V9_HELD_IN_EDGE } from './migrations/v9-held-in-edge';

/**
 * The SQLite schema as an ordered list of migrations; `PRAGMA user_version` records how many
 * have been applied. Append a migration to change the schema, never edit a released one.
 * Times are integer milliseconds since the epoch. Each migration is its own file under
 * migrations/ (one schema change each, numbered).
 */
const MIGRATIONS: readonly string[] = [V1_BASELINE, V2_STORM, V3_FORGETS, V4_CONTEXT, V5_TRIAGE, V6_LEASES, V7_TRAFFIC, V8_ANOMALIES, V9_HELD_IN_EDGE];

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
