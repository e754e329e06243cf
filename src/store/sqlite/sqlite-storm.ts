import type Database from 'better-sqlite3';
import type { AlertDraft } from '../../core/alert';
import type { Protocol } from '../../core/observation';
import { stormWindowStart, type StormPolicy, type StormSummaryBuilder } from '../storm';

type Stmt<P extends unknown[], R = unknown> = Database.Statement<P, R>;

interface WindowRow {
  cluster: string;
  window_start: number;
  window_end: number;
  granted: number;
  first_held: number | null;
  summary_id: string | null;
}

/** 'alert': enqueue it; 'held': counted in a window; 'none': this alert id was decided before. */
export type StormDecision = 'alert' | 'held' | 'none';

/** Held-back counts of one window, gathered over one observe call and written once at its end. */
interface HeldTally {
  cluster: string;
  start: number;
  first: number;
  byProtocol: Map<Protocol, number>;
}

/**
 * The storm decisions of one observe call (one transaction): window rows read once and kept
 * here, held-back counts written once per window at the end (a first deploy holds back
 * thousands of edges per call: one row write each instead of five).
 */
export class StormBatch {
  readonly windows = new Map<string, WindowRow>();
  readonly held = new Map<string, HeldTally>();
}

/**
 * The storm windows of SqliteStore (tables of migration v2). Every method runs inside the
 * transaction the store opened (BEGIN IMMEDIATE): `decide` in the one of observe, so the count,
 * the "new" decision and the enqueue commit together for every process on the file.
 */
export class SqliteStorm {
  private readonly st: {
    alertExists: Stmt<[id: string], { one: number }>;
    decided: Stmt<[id: string], { one: number }>;
    window: Stmt<[cluster: string, start: number], WindowRow>;
    createWindow: Stmt<[cluster: string, start: number, end: number]>;
    grant: Stmt<[cluster: string, start: number]>;
    hold: Stmt<[nowMs: number, nowMs2: number, cluster: string, start: number]>;
    holdProtocol: Stmt<[cluster: string, start: number, protocol: string, n: number, n2: number]>;
    recordHeld: Stmt<[id: string, end: number]>;
    due: Stmt<[cutMs: number], WindowRow>;
    heldOf: Stmt<[cluster: string, start: number], { protocol: Protocol; n: number }>;
    markSummarised: Stmt<[summaryId: string, cluster: string, start: number]>;
    pruneHeld: Stmt<[beforeMs: number]>;
    pruneWindows: Stmt<[beforeMs: number]>;
    pruneDecisions: Stmt<[beforeMs: number]>;
  };

  constructor(db: Database.Database) {
    this.st = {
      alertExists: db.prepare('SELECT 1 AS one FROM alerts WHERE id = ?'),
      decided: db.prepare('SELECT 1 AS one FROM storm_decisions WHERE alert_id = ?'),
      window: db.prepare('SELECT * FROM storm_windows WHERE cluster = ? AND window_start = ?'),
      createWindow: db.prepare('INSERT INTO storm_windows (cluster, window_start, window_end) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      grant: db.prepare('UPDATE storm_windows SET granted = granted + 1 WHERE cluster = ? AND window_start = ?'),
      hold: db.prepare(
        'UPDATE storm_windows SET first_held = CASE WHEN first_held IS NULL OR first_held > ? THEN ? ELSE first_held END WHERE cluster = ? AND window_start = ?',
      ),
      holdProtocol: db.prepare(
        `INSERT INTO storm_held (cluster, window_start, protocol, n) VALUES (?, ?, ?, ?)
         ON CONFLICT (cluster, window_start, protocol) DO UPDATE SET n = n + ?`,
      ),
      // Also the "decided before" check of a held-back id: no row inserted means it was.
      recordHeld: db.prepare('INSERT INTO storm_decisions (alert_id, window_end) VALUES (?, ?) ON CONFLICT DO NOTHING'),
      due: db.prepare('SELECT * FROM storm_windows WHERE summary_id IS NULL AND first_held IS NOT NULL AND window_end <= ? ORDER BY window_end'),
      heldOf: db.prepare('SELECT protocol, n FROM storm_held WHERE cluster = ? AND window_start = ?'),
      markSummarised: db.prepare('UPDATE storm_windows SET summary_id = ? WHERE cluster = ? AND window_start = ?'),
      pruneHeld: db.prepare(
        'DELETE FROM storm_held WHERE (cluster, window_start) IN (SELECT cluster, window_start FROM storm_windows WHERE window_end < ?)',
      ),
      pruneWindows: db.prepare('DELETE FROM storm_windows WHERE window_end < ?'),
      pruneDecisions: db.prepare('DELETE FROM storm_decisions WHERE window_end < ?'),
    };
  }

  /**
   * One observe call's decisions go through `batch`; `finish(batch)` before its transaction ends.
   * `heldIn`: where a held-back id is recorded as decided — its own storm_decisions row, or
   * ('edge') the edge row the caller writes in this transaction (observe; migration v9), which
   * forgetEdge moves into storm_decisions. Either way an id found in storm_decisions is decided.
   * With 'edge', the same id held back for a different edge's row is not seen (ids hash the edge
   * and its first time, so no two edges share one); an alerted id is always found (alerts).
   */
  decide(draft: Pick<AlertDraft, 'id' | 'cluster'>, protocol: Protocol, policy: StormPolicy, nowMs: number, batch: StormBatch, heldIn: 'row' | 'edge' = 'row'): StormDecision {
    if (this.st.alertExists.get(draft.id)) return 'none';
    let w = this.window(draft.cluster, stormWindowStart(nowMs, policy.windowMs), policy.windowMs, batch);
    if (w.granted < policy.maxPerWindow) {
      if (this.st.decided.get(draft.id)) return 'none';
      this.st.grant.run(w.cluster, w.window_start);
      w.granted++;
      return 'alert';
    }
    // The current window is summarised only if the clock went back: count in a later one.
    while (w.summary_id !== null) w = this.window(draft.cluster, w.window_end, policy.windowMs, batch);
    if (heldIn === 'edge' ? this.st.decided.get(draft.id) !== undefined : this.st.recordHeld.run(draft.id, w.window_end).changes === 0) return 'none';
    const key = `${w.window_start}|${w.cluster}`;
    let t = batch.held.get(key);
    if (!t) batch.held.set(key, (t = { cluster: w.cluster, start: w.window_start, first: nowMs, byProtocol: new Map() }));
    t.first = Math.min(t.first, nowMs);
    t.byProtocol.set(protocol, (t.byProtocol.get(protocol) ?? 0) + 1);
    return 'held';
  }

  /** Write the held-back counts `batch` gathered (same transaction as its decisions). */
  finish(batch: StormBatch): void {
    for (const t of batch.held.values()) {
      this.st.hold.run(t.first, t.first, t.cluster, t.start);
      for (const [protocol, n] of t.byProtocol) this.st.holdProtocol.run(t.cluster, t.start, protocol, n, n);
    }
    batch.held.clear();
  }

  /** Summaries of windows ended by `cutMs`; `enqueue` is the outbox's (idempotent by id). */
  summarise(cutMs: number, build: StormSummaryBuilder, enqueue: (d: AlertDraft) => boolean): AlertDraft[] {
    const enqueued: AlertDraft[] = [];
    for (const w of this.st.due.all(cutMs)) {
      const byProtocol = Object.fromEntries(this.st.heldOf.all(w.cluster, w.window_start).map((r) => [r.protocol, r.n]));
      const draft = build({ cluster: w.cluster, windowStartMs: w.window_start, windowEndMs: w.window_end, firstMs: w.first_held ?? w.window_start, byProtocol });
      if (enqueue(draft)) enqueued.push(draft);
      this.st.markSummarised.run(draft.id, w.cluster, w.window_start);
    }
    return enqueued;
  }

  prune(beforeMs: number): void {
    this.st.pruneHeld.run(beforeMs);
    this.st.pruneWindows.run(beforeMs);
    this.st.pruneDecisions.run(beforeMs);
  }

  /** The window row, read once per batch (the transaction holds the write lock: nobody else changes it). */
  private window(cluster: string, start: number, windowMs: number, batch: StormBatch): WindowRow {
    const key = `${start}|${cluster}`;
    const cached = batch.windows.get(key);
    if (cached) return cached;
    this.st.createWindow.run(cluster, start, start + windowMs);
    const w = this.st.window.get(cluster, start);
    if (!w) throw new Error('storm window row vanished inside its transaction');
    batch.windows.set(key, w);
    return w;
  }
}
