import type Database from 'better-sqlite3';

type Stmt<P extends unknown[], R = unknown> = Database.Statement<P, R>;
type KeyParams = [scope: string, protocol: string, source: string, dest: string];

/**
 * The next slice of prune: the oldest `@slice` edges last seen before `@before`, in the order of
 * edges_last_seen (which carries the primary key: a total order, so the index delete and the
 * edge delete of one transaction pick the same rows).
 */
export const PRUNE_SLICE_SQL =
  'SELECT scope, protocol, source, dest FROM edges WHERE last_seen < @before ORDER BY last_seen, scope, protocol, source, dest LIMIT @slice';

export interface EdgeRow {
  scope: string;
  protocol: string;
  source: string;
  dest: string;
  last_seen: number;
}

export interface DueRow {
  alert_id: string;
  attempts: number;
  payload: string;
  previous_seen: number | null;
  created_at: number;
}

export interface AlertRow {
  id: string;
  payload: string;
  previous_seen: number | null;
  created_at: number;
}

export interface DeliveryRow {
  sink: string;
  state: string;
  attempts: number;
  last_error: string | null;
}

/** Every fixed statement, prepared once per connection. listEdges builds its own (see sqlite-edges). */
export interface Statements {
  getEdge: Stmt<KeyParams, { last_seen: number }>;
  /** Insert, or raise last_seen to the given time: "greater than" semantics in one statement. */
  upsertEdge: Stmt<[...KeyParams, lastSeen: number]>;
  /**
   * A new edge (absent, or its last-seen older than the window): insert, or start its new
   * appearance, with the alert id the storm guard held back for it (null: none; migration v9).
   */
  upsertNewEdge: Stmt<[...KeyParams, lastSeen: number, heldAlert: string | null]>;
  /** Before forgetting an edge: its held-back alert id goes to storm_decisions, kept until its last-seen is pruned. */
  keepHeldDecision: Stmt<KeyParams>;
  /** Raise last_seen of an edge that exists (refresh: never creates one, so never resurrects a forgotten edge). */
  raiseEdge: Stmt<[lastSeen: number, ...KeyParams, lastSeen2: number]>;
  touchScope: Stmt<[scope: string, pointMs: number], { first_seen: number }>;
  pruneEdges: Stmt<[{ before: number; slice: number }]>;
  deleteEdge: Stmt<KeyParams>;
  countEdges: Stmt<[], { n: number }>;
  listScopes: Stmt<[], { scope: string; first_seen: number }>;

  clearOtherSinks: Stmt<[namesJson: string]>;
  addSink: Stmt<[name: string, nowMs: number]>;
  sinkNames: Stmt<[], { name: string }>;

  insertAlert: Stmt<[id: string, payload: string, previousSeen: number | null, createdAt: number]>;
  /** One pending delivery per registered sink, from the registry table (shared by all processes). */
  insertDeliveries: Stmt<[alertId: string]>;
  due: Stmt<[sink: string, nowMs: number, nowMs2: number, max: number], DueRow>;
  lease: Stmt<[owner: string, until: number, alertId: string, sink: string]>;
  ack: Stmt<[alertId: string, sink: string]>;
  retry: Stmt<[nextAt: number, error: string, alertId: string, sink: string]>;
  fail: Stmt<[error: string, alertId: string, sink: string]>;
  deliveriesOf: Stmt<[alertId: string], DeliveryRow>;
  stats: Stmt<[], { sink: string; state: string; n: number }>;
  pruneDeliveries: Stmt<[{ before: number }]>;
  pruneAlerts: Stmt<[{ before: number }]>;
}

const KEY = 'scope = ? AND protocol = ? AND source = ? AND dest = ?';
/** Alerts old enough to prune whose every delivery is finished (pending ones stay in the outbox). */
const FINISHED_OLD = `SELECT id FROM alerts WHERE created_at < @before
  AND NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.alert_id = alerts.id AND p.state = 'pending')`;

export function prepareStatements(db: Database.Database): Statements {
  return {
    getEdge: db.prepare(`SELECT last_seen FROM edges WHERE ${KEY}`),
    upsertEdge: db.prepare(
      `INSERT INTO edges (scope, protocol, source, dest, last_seen) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (scope, protocol, source, dest) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen)`,
    ),
    upsertNewEdge: db.prepare(
      `INSERT INTO edges (scope, protocol, source, dest, last_seen, held_alert) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (scope, protocol, source, dest) DO UPDATE SET last_seen = max(last_seen, excluded.last_seen), held_alert = excluded.held_alert`,
    ),
    keepHeldDecision: db.prepare(
      `INSERT OR IGNORE INTO storm_decisions (alert_id, window_end) SELECT held_alert, last_seen FROM edges WHERE ${KEY} AND held_alert IS NOT NULL`,
    ),
    raiseEdge: db.prepare(`UPDATE edges SET last_seen = ? WHERE ${KEY} AND last_seen < ?`),
    touchScope: db.prepare(
      `INSERT INTO scopes (scope, first_seen) VALUES (?, ?)
       ON CONFLICT (scope) DO UPDATE SET first_seen = min(first_seen, excluded.first_seen)
       RETURNING first_seen`,
    ),
    pruneEdges: db.prepare(`DELETE FROM edges WHERE (scope, protocol, source, dest) IN (${PRUNE_SLICE_SQL})`),
    deleteEdge: db.prepare(`DELETE FROM edges WHERE ${KEY}`),
    countEdges: db.prepare('SELECT count(*) AS n FROM edges'),
    listScopes: db.prepare('SELECT scope, first_seen FROM scopes ORDER BY scope'),

    clearOtherSinks: db.prepare('DELETE FROM sinks WHERE name NOT IN (SELECT value FROM json_each(?))'),
    addSink: db.prepare('INSERT INTO sinks (name, registered_at) VALUES (?, ?) ON CONFLICT (name) DO NOTHING'),
    sinkNames: db.prepare('SELECT name FROM sinks ORDER BY name'),

    insertAlert: db.prepare(
      'INSERT INTO alerts (id, payload, previous_seen, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    ),
    insertDeliveries: db.prepare(
      `INSERT INTO deliveries (alert_id, sink, state, attempts, next_at) SELECT ?, name, 'pending', 0, 0 FROM sinks`,
    ),
    due: db.prepare(
      `SELECT d.alert_id, d.attempts, a.payload, a.previous_seen, a.created_at
       FROM deliveries d JOIN alerts a ON a.id = d.alert_id
       WHERE d.sink = ? AND d.state = 'pending' AND d.next_at <= ?
         AND (d.lease_until IS NULL OR d.lease_until <= ?)
       ORDER BY a.created_at, a.rowid LIMIT ?`,
    ),
    lease: db.prepare('UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE alert_id = ? AND sink = ?'),
    ack: db.prepare(
      `UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, lease_owner = NULL, lease_until = NULL
       WHERE alert_id = ? AND sink = ? AND state = 'pending'`,
    ),
    retry: db.prepare(
      `UPDATE deliveries SET attempts = attempts + 1, next_at = ?, last_error = ?, lease_owner = NULL, lease_until = NULL
       WHERE alert_id = ? AND sink = ? AND state = 'pending'`,
    ),
    fail: db.prepare(
      `UPDATE deliveries SET state = 'failed', attempts = attempts + 1, last_error = ?, lease_owner = NULL, lease_until = NULL
       WHERE alert_id = ? AND sink = ? AND state = 'pending'`,
    ),
    deliveriesOf: db.prepare('SELECT sink, state, attempts, last_error FROM deliveries WHERE alert_id = ? ORDER BY sink'),
    stats: db.prepare(`SELECT sink, state, count(*) AS n FROM deliveries WHERE state IN ('pending', 'failed') GROUP BY sink, state`),
    pruneDeliveries: db.prepare(`DELETE FROM deliveries WHERE alert_id IN (${FINISHED_OLD})`),
    pruneAlerts: db.prepare(`DELETE FROM alerts WHERE id IN (${FINISHED_OLD})`),
  };
}
