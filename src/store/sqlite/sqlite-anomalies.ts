import type Database from 'better-sqlite3';
import type { TrafficAnomaly } from '../../core/traffic';
import type { TrafficFiring, TrafficRule } from '../store';
import { checkTrafficRule, firesAt, groupByKey, windowFloor } from '../traffic-ledger';

type Stmt<P extends unknown[], R = unknown> = Database.Statement<P, R>;

interface AnomalyRow {
  bucket: number;
  metric: string;
  value: number;
  mean: number;
  stdev: number;
  z: number;
}

/**
 * The traffic-anomaly ledgers of SqliteStore (tables of migration v8). `record` runs inside the
 * store's BEGIN IMMEDIATE transaction: insert, count and fire commit together for every process
 * on the file, so each firing goes to exactly one caller.
 */
export class SqliteAnomalies {
  private readonly st: {
    insert: Stmt<[key: string, bucket: number, metric: string, value: number, mean: number, stdev: number, z: number]>;
    raiseLatest: Stmt<[key: string, latest: number], { latest: number; fired: number | null }>;
    trim: Stmt<[key: string, floor: number]>;
    count: Stmt<[key: string], { n: number }>;
    fire: Stmt<[fired: number, key: string]>;
    window: Stmt<[key: string], AnomalyRow>;
    pruneAnomalies: Stmt<[before: number, before2: number]>;
    pruneLedgers: Stmt<[before: number, before2: number]>;
  };

  constructor(db: Database.Database) {
    this.st = {
      insert: db.prepare('INSERT INTO traffic_anomalies (key, bucket, metric, value, mean, stdev, z) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      raiseLatest: db.prepare(
        `INSERT INTO traffic_ledgers (key, latest) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET latest = max(latest, excluded.latest) RETURNING latest, fired`,
      ),
      trim: db.prepare('DELETE FROM traffic_anomalies WHERE key = ? AND bucket <= ?'),
      // After trim every row left is in (t − windowMs, t]: t is the latest bucket.
      count: db.prepare('SELECT count(*) AS n FROM traffic_anomalies WHERE key = ?'),
      fire: db.prepare('UPDATE traffic_ledgers SET fired = ? WHERE key = ?'),
      window: db.prepare('SELECT bucket, metric, value, mean, stdev, z FROM traffic_anomalies WHERE key = ? ORDER BY bucket, metric'),
      pruneAnomalies: db.prepare(
        'DELETE FROM traffic_anomalies WHERE key IN (SELECT key FROM traffic_ledgers WHERE latest < ? AND (fired IS NULL OR fired < ?))',
      ),
      pruneLedgers: db.prepare('DELETE FROM traffic_ledgers WHERE latest < ? AND (fired IS NULL OR fired < ?)'),
    };
  }

  record(anomalies: readonly TrafficAnomaly[], rule: TrafficRule): TrafficFiring[] {
    checkTrafficRule(rule);
    const firings: TrafficFiring[] = [];
    for (const [key, list] of groupByKey(anomalies)) {
      let latest = -Infinity;
      for (const a of list) {
        this.st.insert.run(key, a.bucketMs, a.metric, a.value, a.mean, a.stdev, a.z);
        if (a.bucketMs > latest) latest = a.bucketMs;
      }
      const ledger = this.st.raiseLatest.get(key, latest);
      if (!ledger) throw new Error('traffic ledger row vanished inside its transaction');
      const t = ledger.latest;
      this.st.trim.run(key, windowFloor(t, rule));
      const n = this.st.count.get(key)?.n ?? 0;
      if (!firesAt(t, n, ledger.fired, rule)) continue;
      this.st.fire.run(t, key);
      // ORDER BY metric compares bytes (BINARY); JS compares UTF-16 units: equal for the ASCII metric names.
      const rows = this.st.window.all(key);
      firings.push({ key, firedMs: t, anomalies: rows.map((r) => ({ key, metric: r.metric, bucketMs: r.bucket, value: r.value, mean: r.mean, stdev: r.stdev, z: r.z })) });
    }
    return firings;
  }

  /** Ledgers whose latest bucket and last firing are both before `beforeMs`, with their anomalies. */
  prune(beforeMs: number): void {
    this.st.pruneAnomalies.run(beforeMs, beforeMs);
    this.st.pruneLedgers.run(beforeMs, beforeMs);
  }
}
