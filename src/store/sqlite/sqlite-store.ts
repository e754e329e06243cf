import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AlertDraft } from '../../core/alert';
import type { EdgeKey } from '../../core/edge';
import { StoreUnavailableError } from '../../core/errors';
import type {
  BaselineStore,
  EdgeQuery,
  EdgeRecord,
  EdgeRefresh,
  ObserveOutcome,
  OutboxEntry,
  OutboxStats,
  Sighting,
  StoredAlert,
} from '../store';
import { toStoreError } from './errors';
import { migrate } from './schema';
import { SqliteEdges } from './sqlite-edges';
import { SqliteOutbox } from './sqlite-outbox';
import { prepareStatements } from './statements';

export interface SqliteStoreOptions {
  /** How long a write waits for another connection's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

interface Open {
  db: Database.Database;
  /** One transaction wrapper per connection, built once: runs its argument inside BEGIN … COMMIT. */
  tx: Database.Transaction<(fn: () => unknown) => unknown>;
  edges: SqliteEdges;
  outbox: SqliteOutbox;
}

/**
 * The embedded default store: one SQLite file (better-sqlite3, WAL). Several processes may share
 * the file: every decision runs in a BEGIN IMMEDIATE transaction, which serialises writers.
 * The file is opened by init(), not by the constructor, so opening failures (missing rights, a
 * path under a regular file, a file that is not a database) reject as StoreUnavailableError.
 */
export class SqliteStore implements BaselineStore {
  readonly kind = 'sqlite' as const;
  private conn: Open | null = null;

  constructor(
    readonly path: string,
    private readonly opts: SqliteStoreOptions = {},
  ) {}

  async init(sinks: string[]): Promise<void> {
    try {
      const conn = this.conn ?? this.open();
      conn.tx.immediate(() => conn.outbox.register(sinks, Date.now()));
    } catch (err) {
      throw toStoreError('init', err);
    }
  }

  /**
   * The sinks registered in the file (by the service using it), readable before init(). The
   * registry is shared by every process on the file and init() replaces it, so a CLI command
   * passes these back to init() to leave a running service's registration as it is.
   */
  async registeredSinks(): Promise<string[]> {
    try {
      const conn = this.conn ?? this.open();
      return conn.outbox.sinkNames();
    } catch (err) {
      throw toStoreError('registeredSinks', err);
    }
  }

  async observe(sightings: Sighting[], baselineWindowMs: number): Promise<ObserveOutcome[]> {
    return this.write('observe', (c) => c.edges.observe(sightings, baselineWindowMs, Date.now()));
  }

  async refresh(updates: EdgeRefresh[]): Promise<void> {
    if (updates.length > 0) await this.write('refresh', (c) => c.edges.refresh(updates));
  }

  async touchScope(scope: string, pointMs: number): Promise<number> {
    return this.write('touchScope', (c) => c.edges.touchScope(scope, pointMs));
  }

  async prune(beforeMs: number): Promise<number> {
    return this.write('prune', (c) => c.edges.prune(beforeMs));
  }

  async listEdges(query: EdgeQuery): Promise<EdgeRecord[]> {
    return this.read('listEdges', (c) => c.edges.list(query));
  }

  async countEdges(): Promise<number> {
    return this.read('countEdges', (c) => c.edges.count());
  }

  async forgetEdge(key: EdgeKey): Promise<boolean> {
    return this.write('forgetEdge', (c) => c.edges.forget(key));
  }

  async enqueueAlert(draft: AlertDraft): Promise<boolean> {
    return this.write('enqueueAlert', (c) => c.outbox.enqueue(draft, Date.now()));
  }

  async claimAlerts(sink: string, consumer: string, max: number, leaseMs: number): Promise<OutboxEntry[]> {
    return this.write('claimAlerts', (c) => c.outbox.claim(sink, consumer, max, leaseMs, Date.now()));
  }

  async ackAlerts(sink: string, alertIds: string[]): Promise<void> {
    if (alertIds.length > 0) await this.write('ackAlerts', (c) => c.outbox.ack(sink, alertIds));
  }

  async retryAlert(sink: string, alertId: string, retryAtMs: number, error: string): Promise<void> {
    await this.write('retryAlert', (c) => c.outbox.retry(sink, alertId, retryAtMs, error));
  }

  async failAlert(sink: string, alertId: string, error: string): Promise<void> {
    await this.write('failAlert', (c) => c.outbox.fail(sink, alertId, error));
  }

  async listAlerts(limit: number): Promise<StoredAlert[]> {
    // A read transaction gives one snapshot of alerts and their deliveries.
    return this.write('listAlerts', (c) => c.outbox.list(limit), 'deferred');
  }

  async outboxStats(): Promise<OutboxStats> {
    return this.write('outboxStats', (c) => c.outbox.stats(), 'deferred');
  }

  async ping(): Promise<void> {
    await this.read('ping', (c) => c.db.prepare('SELECT 1').get());
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = null;
    if (conn?.db.open) conn.db.close();
  }

  private open(): Open {
    if (this.path !== ':memory:' && this.path !== '') mkdirSync(dirname(this.path), { recursive: true });
    const db = new Database(this.path, { timeout: this.opts.busyTimeoutMs ?? 5000 });
    try {
      db.pragma('journal_mode = WAL');
      // NORMAL under WAL: a power loss may lose the last commits, never corrupts; no fsync per commit.
      db.pragma('synchronous = NORMAL');
      migrate(db);
      const st = prepareStatements(db);
      const tx = db.transaction((fn: () => unknown) => fn());
      this.conn = { db, tx, edges: new SqliteEdges(db, st), outbox: new SqliteOutbox(st) };
      return this.conn;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private current(): Open {
    if (!this.conn) throw new StoreUnavailableError(`sqlite store ${this.path} is not open (init() not called, or closed)`);
    return this.conn;
  }

  private async read<T>(op: string, fn: (c: Open) => T): Promise<T> {
    try {
      return fn(this.current());
    } catch (err) {
      throw toStoreError(op, err);
    }
  }

  /** Runs `fn` in one transaction; IMMEDIATE takes the write lock up front (no lock upgrade, no deadlock). */
  private async write<T>(op: string, fn: (c: Open) => T, mode: 'immediate' | 'deferred' = 'immediate'): Promise<T> {
    try {
      const c = this.current();
      return c.tx[mode](() => fn(c)) as T;
    } catch (err) {
      throw toStoreError(op, err);
    }
  }
}
