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
import { PRUNE_SLICE_EDGES } from '../prune-slices';
import { AdaptiveSlice, BackgroundLane, LaneClosedError } from '../background-lane';
import { stderrLog, WalCheckpointer, type StoreLog, type WalCheckpointerOptions } from './wal-checkpointer';
import { pruneHour } from '../traffic-state';

export interface SqliteStoreOptions {
  /** How long a write waits for another connection's lock before failing with SQLITE_BUSY. */
  busyTimeoutMs?: number;
  /** The clock that places new edges in storm windows and ends them (tests pin it); default Date.now. */
  now?: () => number;
  /** Edges prune deletes per transaction: fixed (tests); default sized to ~4 ms per slice, at most PRUNE_SLICE_EDGES. */
  pruneSlice?: number;
  /** WAL checkpoints in a worker thread (wal-checkpointer.ts); false: SQLite's auto-checkpoint on commit. */
  checkpoint?: WalCheckpointerOptions | false;
  /** Where the checkpointer's failures are logged (the service's logger); default JSON on stderr. */
  log?: StoreLog;
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
  /** Refresh batches and prune slices, one at a time with rests between (background-lane.ts). */
  lane: BackgroundLane;
  /** Null for `:memory:`, a non-WAL file or `checkpoint: false`. */
  checkpointer: WalCheckpointer | null;
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
  // Rows per background slice, learned per kind of work (a refresh row costs less than a pruned edge).
  private readonly refreshRows = new AdaptiveSlice({ initial: 256, max: 20_000 });
  private readonly pruneRows: AdaptiveSlice;
  private readonly trafficRows: AdaptiveSlice;

  constructor(
    readonly path: string,
    private readonly opts: SqliteStoreOptions = {},
  ) {
    this.clock = opts.now ?? Date.now;
    const fixed = opts.pruneSlice;
    const prune = fixed === undefined ? { initial: 128, max: PRUNE_SLICE_EDGES } : { initial: fixed, min: fixed, max: fixed };
    this.pruneRows = new AdaptiveSlice(prune);
    this.trafficRows = new AdaptiveSlice(prune);
  }

  /** The WAL checkpointer while it runs (tests); null when there is none. */
  get walCheckpointer(): WalCheckpointer | null {
    return this.conn?.checkpointer ?? null;
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

  /**
   * On the background lane, in transactions of ~4 ms each: a batch at a million edges is tens of
   * thousands of random-row UPDATEs, hundreds of ms on the event loop in one transaction. A failed
   * slice rejects the whole call, so the caller keeps the batch (rows already raised are raised
   * again: harmless, a refresh only raises).
   */
  async refresh(updates: EdgeRefresh[]): Promise<void> {
    for (let i = 0; i < updates.length; ) {
      const from = i;
      i += await this.background('refresh', this.refreshRows, (c, rows) => {
        const part = updates.slice(from, from + rows);
        c.edges.refresh(part);
        return part.length;
      });
    }
  }

  async touchScope(scope: string, pointMs: number): Promise<number> {
    return this.write('touchScope', (c) => c.edges.touchScope(scope, pointMs));
  }

  async prune(beforeMs: number, onSlice?: (deleted: number) => void): Promise<number> {
    // One transaction per slice (index entries with their edges) on the background lane:
    // better-sqlite3 runs on the event loop, so a single DELETE of millions of rows would hold
    // every export until it ends.
    const deleted = await this.backgroundUntilShort('prune', this.pruneRows, (c, slice) => {
      c.index.prune(beforeMs, slice);
      return c.edges.pruneSlice(beforeMs, slice);
    }, onSlice);
    // Traffic keys in slices too; they are not edges, so not counted.
    const cut = pruneHour(beforeMs);
    await this.backgroundUntilShort('prune', this.trafficRows, (c, slice) => c.traffic.pruneSlice(cut, slice));
    await this.background('prune', FIXED_ONE, (c) => {
      c.storm.prune(beforeMs);
      c.anomalies.prune(beforeMs);
      c.edges.pruneOutbox(beforeMs);
      return 1;
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

  /** Background slices still queued fail (retried by the next flush or prune); the checkpointer stops before the file closes. */
  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = null;
    if (!conn) return;
    conn.lane.close();
    await conn.checkpointer?.stop();
    if (conn.db.open) conn.db.close();
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
      const checkpointer = this.opts.checkpoint === false ? null : startCheckpointer(this.path, db, { log: this.opts.log, ...this.opts.checkpoint });
      this.conn = { db, tx, edges: new SqliteEdges(db, st), index: new SqliteEdgeIndex(db), outbox: new SqliteOutbox(st), storm: new SqliteStorm(db), forgets: new SqliteForgets(db), triage: new SqliteTriage(db, st), leases: new SqliteLeases(db), anomalies: new SqliteAnomalies(db), traffic: new SqliteTraffic(db), lane: new BackgroundLane(), checkpointer };
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

  /** One slice of background work in its own transaction, queued on the connection's lane. */
  private async background(op: string, size: AdaptiveSlice, fn: (c: Open, rows: number) => number): Promise<number> {
    try {
      const c = this.current();
      return await c.lane.sliced(size, (rows) => {
        const now = this.current();
        return now.tx.immediate(() => fn(now, rows)) as number;
      });
    } catch (err) {
      if (err instanceof LaneClosedError) throw new StoreUnavailableError(`sqlite ${op} failed: the store was closed`, err);
      throw toStoreError(op, err);
    }
  }

  /** Background slices of `fn` until one does fewer rows than it was given; returns the rows done. */
  private async backgroundUntilShort(op: string, size: AdaptiveSlice, fn: (c: Open, rows: number) => number, onSlice?: (n: number) => void): Promise<number> {
    let total = 0;
    for (let done = false; !done; ) {
      let rows = 0;
      const n = await this.background(op, size, (c, slice) => {
        rows = slice;
        return fn(c, slice);
      });
      total += n;
      if (n > 0) onSlice?.(n);
      done = n < rows;
    }
    return total;
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

/** A one-row slice (prune's final step): its size never changes. */
const FIXED_ONE = new AdaptiveSlice({ initial: 1, min: 1, max: 1 });

/** A checkpointer that cannot start (no worker threads here) leaves SQLite's auto-checkpoint on. */
function startCheckpointer(path: string, db: Database.Database, opts: WalCheckpointerOptions): WalCheckpointer | null {
  try {
    return WalCheckpointer.start(path, db, opts);
  } catch (err) {
    db.pragma('wal_autocheckpoint = 1000');
    (opts.log ?? stderrLog).error({ err: String(err), path }, 'sqlite WAL checkpointer did not start; checkpoints on commit');
    return null;
  }
}
