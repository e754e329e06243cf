import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { AlertDraft } from '../../core/alert';
import type { EdgeKey } from '../../core/edge';
import { StoreUnavailableError } from '../../core/errors';
import type { AlertQuery, AlertTriage, StoredRule } from '../../core/triage';
import type {
  AlertStateUpdate,
  BaselineStore,
  EdgeFacts,
  EdgePage,
  EdgeQuery,
  EdgeScan,
  EdgeRecord,
  EdgeRefresh,
  ForgetLogPage,
  ObserveOutcome,
  OutboxEntry,
  OutboxStats,
  ScopeRecord,
  Sighting,
  StoredAlert,
  TrafficBaseline,
  TrafficDelta,
} from '../store';
import type { StormPolicy, StormSummaryBuilder, StormSweepResult } from '../storm';
import { toStoreError } from './errors';
import { migrate } from './schema';
import { SqliteEdgeIndex } from './sqlite-edge-index';
import { SqliteEdges } from './sqlite-edges';
import { SqliteForgets } from './sqlite-forgets';
import { SqliteLeases } from './sqlite-leases';
import { SqliteOutbox } from './sqlite-outbox';
import { scanEdges } from './sqlite-scan';
import { SqliteStorm } from './sqlite-storm';
import { SqliteTraffic } from './sqlite-traffic';
import { SqliteTriage } from './sqlite-triage';
import { prepareStatements } from './statements';
import type { TrafficAnomaly } from '../../core/traffic';
import type { GuardedEnqueue, TrafficFiring, TrafficRule } from '../store';
import { SqliteAnomalies } from './sqlite-anomalies';
import { enqueueGuardedSqlite } from './sqlite-guarded-enqueue';
import { PRUNE_SLICE_EDGES, yieldToIntake } from '../prune-slices';
import { pruneHour } from '../traffic-state';

export interface SqliteStoreOptions {
  /** How long a write waits for another connection's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** The clock that places new edges in storm windows and ends them (tests pin it); default Date.now. */
  now?: () => number;
  /** Edges prune deletes per transaction (default PRUNE_SLICE_EDGES). */
  pruneSlice?: number;
}

interface Open {
  db: Database.Database;
  /** One transaction wrapper per connection, built once: runs its argument inside BEGIN … COMMIT. */
  tx: Database.Transaction<(fn: () => unknown) => unknown>;
  edges: SqliteEdges;
  /** The per-workload index of alert context (edge_ends). */
  index: SqliteEdgeIndex;
  outbox: SqliteOutbox;
  /** Storm guard windows (storm_*). */
  storm: SqliteStorm;
  forgets: SqliteForgets;
  triage: SqliteTriage;
  leases: SqliteLeases;
  /** Traffic-anomaly ledgers (traffic_ledgers, traffic_anomalies). */
  anomalies: SqliteAnomalies;
  /** Traffic baselines (traffic). */
  traffic: SqliteTraffic;
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
  private readonly clock: () => number;

  constructor(
    readonly path: string,
    private readonly opts: SqliteStoreOptions = {},
  ) {
    this.clock = opts.now ?? Date.now;
  }

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

  async observe(sightings: Sighting[], baselineWindowMs: number, storm?: StormPolicy): Promise<ObserveOutcome[]> {
    return this.write('observe', (c) => c.edges.observe(sightings, baselineWindowMs, this.clock(), storm && { policy: storm, state: c.storm }));
  }

  async summariseStorms(graceMs: number, build: StormSummaryBuilder): Promise<AlertDraft[]> {
    return this.write('summariseStorms', (c) => {
      const now = this.clock();
      return c.storm.summarise(now - graceMs, build, (d) => c.outbox.enqueue(d, now));
    });
  }

  /** One transaction decides everything: nothing is ever parked. */
  async sweepStorm(_minAgeMs: number): Promise<StormSweepResult> {
    return this.read('sweepStorm', () => ({ alerted: 0, heldBack: 0 }));
  }

  async indexEdges(sightings: readonly Pick<Sighting, 'key' | 'firstMs'>[]): Promise<EdgeFacts[]> {
    if (sightings.length === 0) return [];
    return this.write('indexEdges', (c) => c.index.index(sightings));
  }

  async refresh(updates: EdgeRefresh[]): Promise<void> {
    if (updates.length > 0) await this.write('refresh', (c) => c.edges.refresh(updates));
  }

  async touchScope(scope: string, pointMs: number): Promise<number> {
    return this.write('touchScope', (c) => c.edges.touchScope(scope, pointMs));
  }

  async prune(beforeMs: number, onSlice?: (deleted: number) => void): Promise<number> {
    const slice = this.opts.pruneSlice ?? PRUNE_SLICE_EDGES;
    let deleted = 0;
    // One transaction per slice (index entries with their edges): better-sqlite3 runs on the
    // event loop, so a single DELETE of millions of rows would hold every export until it ends.
    for (;;) {
      const n = await this.write('prune', (c) => {
        c.index.prune(beforeMs, slice);
        return c.edges.pruneSlice(beforeMs, slice);
      });
      deleted += n;
      if (n > 0) onSlice?.(n);
      if (n < slice) break;
      await yieldToIntake();
    }
    // Traffic keys in slices too; they are not edges, so not counted.
    for (const cut = pruneHour(beforeMs); ; ) {
      const n = await this.write('prune', (c) => c.traffic.pruneSlice(cut, slice));
      if (n < slice) break;
      await yieldToIntake();
    }
    await this.write('prune', (c) => {
      c.storm.prune(beforeMs);
      c.anomalies.prune(beforeMs);
      c.edges.pruneOutbox(beforeMs);
    });
    return deleted;
  }

  async listEdges(query: EdgeQuery): Promise<EdgeRecord[]> {
    return this.read('listEdges', (c) => c.edges.list(query));
  }

  async countEdges(): Promise<number> {
    return this.read('countEdges', (c) => c.edges.count());
  }

  async listScopes(): Promise<ScopeRecord[]> {
    return this.read('listScopes', (c) => c.edges.scopes());
  }

  async scanEdges(q: EdgeScan): Promise<EdgePage> {
    return this.read('scanEdges', (c) => scanEdges(c.db, q));
  }

  async forgetEdge(key: EdgeKey): Promise<boolean> {
    // Log and delete in one transaction: every process on the file sees both or neither.
    return this.write('forgetEdge', (c) => {
      c.forgets.log(key, Date.now());
      c.index.forget(key);
      return c.edges.forget(key);
    });
  }

  async forgottenSince(cursor: string | null): Promise<ForgetLogPage> {
    return this.write('forgottenSince', (c) => c.forgets.since(cursor), 'deferred');
  }

  async addTrafficMoments(deltas: TrafficDelta[]): Promise<void> {
    if (deltas.length > 0) await this.write('addTrafficMoments', (c) => c.traffic.add(deltas));
  }

  async readTrafficBaselines(keys: string[], hour: number, decayPerHour: number): Promise<TrafficBaseline[]> {
    return this.write('readTrafficBaselines', (c) => c.traffic.read(keys, hour, decayPerHour));
  }

  async enqueueAlert(draft: AlertDraft): Promise<boolean> {
    return this.write('enqueueAlert', (c) => c.outbox.enqueue(draft, Date.now()));
  }

  async enqueueGuarded(draft: AlertDraft, storm: StormPolicy): Promise<GuardedEnqueue> {
    return this.write('enqueueGuarded', (c) => enqueueGuardedSqlite(c.storm, c.outbox, draft, storm, this.clock()));
  }

  async recordTrafficAnomalies(anomalies: TrafficAnomaly[], rule: TrafficRule): Promise<TrafficFiring[]> {
    if (anomalies.length === 0) return [];
    return this.write('recordTrafficAnomalies', (c) => c.anomalies.record(anomalies, rule));
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

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return this.write('acquireLease', (c) => c.leases.acquire(name, owner, ttlMs, Date.now()));
  }

  async releaseLease(name: string, owner: string): Promise<boolean> {
    return this.write('releaseLease', (c) => c.leases.release(name, owner, Date.now()));
  }

  async listAlerts(limit: number, query?: AlertQuery): Promise<StoredAlert[]> {
    // A read transaction gives one snapshot of alerts, their deliveries and states.
    return this.write('listAlerts', (c) => c.triage.listAlerts(limit, query, Date.now()), 'deferred');
  }

  async getAlert(alertId: string): Promise<StoredAlert | null> {
    return this.write('getAlert', (c) => c.triage.getAlert(alertId), 'deferred');
  }

  async setAlertState(alertId: string, change: AlertTriage): Promise<AlertStateUpdate | null> {
    return this.write('setAlertState', (c) => c.triage.setAlertState(alertId, change));
  }

  async putRule(rule: StoredRule): Promise<void> {
    await this.write('putRule', (c) => c.triage.putRule(rule));
  }

  async listRules(): Promise<StoredRule[]> {
    return this.read('listRules', (c) => c.triage.listRules());
  }

  async deleteRule(ruleId: string): Promise<boolean> {
    return this.write('deleteRule', (c) => c.triage.deleteRule(ruleId));
  }

  async rulesVersion(): Promise<number> {
    return this.read('rulesVersion', (c) => c.triage.rulesVersion());
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
      this.conn = { db, tx, edges: new SqliteEdges(db, st), index: new SqliteEdgeIndex(db), outbox: new SqliteOutbox(st), storm: new SqliteStorm(db), forgets: new SqliteForgets(db), triage: new SqliteTriage(db, st), leases: new SqliteLeases(db), anomalies: new SqliteAnomalies(db), traffic: new SqliteTraffic(db) };
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
