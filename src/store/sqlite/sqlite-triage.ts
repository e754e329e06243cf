import type Database from 'better-sqlite3';
import { completeAlert, type AlertDraft } from '../../core/alert';
import type { AlertQuery, AlertState, AlertTriage, StoredRule } from '../../core/triage';
import type { AlertStateUpdate, DeliveryState, StoredAlert } from '../store';
import type { Statements } from './statements';

interface AlertStateRow {
  state: string | null;
  changed_by: string | null;
  changed_at: number | null;
  comment: string | null;
  expires_at: number | null;
  rule_id: string | null;
}

interface ListedRow extends AlertStateRow {
  id: string;
  payload: string;
  previous_seen: number | null;
  created_at: number;
}

interface RuleRow {
  id: string;
  spec: string;
  alert_id: string | null;
  created_by: string;
  created_at: number;
  comment: string | null;
  expires_at: number | null;
}

type Stmt<P extends unknown[], R = unknown> = Database.Statement<P, R>;

interface ListParams {
  cluster: string | null;
  kind: string | null;
  since: number | null;
  states: string | null;
  now: number;
  limit: number;
}

const STATE_COLUMNS = 's.state, s.changed_by, s.changed_at, s.comment, s.expires_at, s.rule_id';
/** The effective state: no row, or a lapsed one, is open (core/triage.ts effectiveState). */
const EFFECTIVE = `CASE WHEN s.alert_id IS NULL OR (s.expires_at IS NOT NULL AND s.expires_at <= @now) THEN 'open' ELSE s.state END`;

/**
 * Alert states and stored rules on SQLite (tables of migrations/v5-triage.ts). The store runs
 * each call in its own transaction; its statements are prepared once per connection.
 */
export class SqliteTriage {
  private readonly list: Stmt<[ListParams], ListedRow>;
  private readonly get: Stmt<[id: string], ListedRow>;
  private readonly exists: Stmt<[id: string], { n: number }>;
  private readonly stateOf: Stmt<[id: string], AlertStateRow>;
  private readonly upsertState: Stmt<[id: string, state: string, by: string, at: number, comment: string | null, expires: number | null, rule: string | null]>;
  private readonly upsertRule: Stmt<[RuleRow]>;
  private readonly rules: Stmt<[], RuleRow>;
  private readonly deleteRuleStmt: Stmt<[id: string]>;
  private readonly version: Stmt<[], { version: number }>;

  constructor(
    db: Database.Database,
    private readonly st: Statements,
  ) {
    this.list = db.prepare(
      `SELECT a.id, a.payload, a.previous_seen, a.created_at, ${STATE_COLUMNS}
       FROM alerts a LEFT JOIN alert_states s ON s.alert_id = a.id
       WHERE (@cluster IS NULL OR json_extract(a.payload, '$.cluster') = @cluster)
         AND (@kind IS NULL OR json_extract(a.payload, '$.context.kind') = @kind)
         AND (@since IS NULL OR a.created_at >= @since)
         AND (@states IS NULL OR ${EFFECTIVE} IN (SELECT value FROM json_each(@states)))
       ORDER BY a.created_at DESC, a.rowid DESC LIMIT @limit`,
    );
    this.get = db.prepare(
      `SELECT a.id, a.payload, a.previous_seen, a.created_at, ${STATE_COLUMNS}
       FROM alerts a LEFT JOIN alert_states s ON s.alert_id = a.id WHERE a.id = ?`,
    );
    this.exists = db.prepare('SELECT count(*) AS n FROM alerts WHERE id = ?');
    this.stateOf = db.prepare('SELECT state, changed_by, changed_at, comment, expires_at, rule_id FROM alert_states WHERE alert_id = ?');
    this.upsertState = db.prepare(
      `INSERT INTO alert_states (alert_id, state, changed_by, changed_at, comment, expires_at, rule_id) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (alert_id) DO UPDATE SET state = excluded.state, changed_by = excluded.changed_by, changed_at = excluded.changed_at,
         comment = excluded.comment, expires_at = excluded.expires_at, rule_id = excluded.rule_id`,
    );
    this.upsertRule = db.prepare(
      `INSERT INTO rules (id, spec, alert_id, created_by, created_at, comment, expires_at)
       VALUES (@id, @spec, @alert_id, @created_by, @created_at, @comment, @expires_at)
       ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, alert_id = excluded.alert_id, created_by = excluded.created_by,
         created_at = excluded.created_at, comment = excluded.comment, expires_at = excluded.expires_at`,
    );
    this.rules = db.prepare('SELECT id, spec, alert_id, created_by, created_at, comment, expires_at FROM rules ORDER BY created_at, id');
    this.deleteRuleStmt = db.prepare('DELETE FROM rules WHERE id = ?');
    this.version = db.prepare('SELECT version FROM rules_version');
  }

  listAlerts(limit: number, q: AlertQuery | undefined, nowMs: number): StoredAlert[] {
    if (limit <= 0) return [];
    const rows = this.list.all({
      cluster: q?.cluster ?? null,
      kind: q?.kind ?? null,
      since: q?.sinceMs ?? null,
      states: q?.states === undefined ? null : JSON.stringify(q.states),
      now: q?.nowMs ?? nowMs,
      limit,
    });
    return rows.map((r) => this.toStored(r));
  }

  getAlert(alertId: string): StoredAlert | null {
    const row = this.get.get(alertId);
    return row ? this.toStored(row) : null;
  }

  setAlertState(alertId: string, change: AlertTriage): AlertStateUpdate | null {
    if ((this.exists.get(alertId)?.n ?? 0) === 0) return null;
    const before = toTriage(this.stateOf.get(alertId));
    this.upsertState.run(alertId, change.state, change.by, change.atMs, change.comment, change.expiresMs, change.ruleId);
    return { before, after: { ...change } };
  }

  putRule(rule: StoredRule): void {
    this.upsertRule.run({
      id: rule.id,
      spec: JSON.stringify(rule.spec),
      alert_id: rule.alertId,
      created_by: rule.by,
      created_at: rule.createdMs,
      comment: rule.comment,
      expires_at: rule.expiresMs,
    });
  }

  listRules(): StoredRule[] {
    return this.rules.all().map((r) => ({
      id: r.id,
      spec: JSON.parse(r.spec) as Record<string, unknown>,
      alertId: r.alert_id,
      by: r.created_by,
      createdMs: r.created_at,
      comment: r.comment,
      expiresMs: r.expires_at,
    }));
  }

  deleteRule(ruleId: string): boolean {
    return this.deleteRuleStmt.run(ruleId).changes > 0;
  }

  rulesVersion(): number {
    return this.version.get()?.version ?? 0;
  }

  private toStored(r: ListedRow): StoredAlert {
    return {
      alert: completeAlert(JSON.parse(r.payload) as AlertDraft, r.previous_seen),
      createdMs: r.created_at,
      deliveries: this.st.deliveriesOf.all(r.id).map((d) => ({ sink: d.sink, state: d.state as DeliveryState, attempts: d.attempts, lastError: d.last_error })),
      triage: toTriage(r),
    };
  }
}

function toTriage(r: AlertStateRow | undefined): AlertTriage | null {
  if (r === undefined || r.state === null || r.changed_by === null || r.changed_at === null) return null;
  return { state: r.state as AlertState, by: r.changed_by, atMs: r.changed_at, comment: r.comment, expiresMs: r.expires_at, ruleId: r.rule_id };
}
