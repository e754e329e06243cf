import type { Alert } from '../core/alert';
import { effectiveState, type AlertState, type AlertTriage, type StoredRule } from '../core/triage';
import type { FilterRule } from '../detect/filter-rules';
import type { BaselineStore, StoredAlert } from '../store/store';
import { parseAlertQuery } from './triage-input';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The recorded state change as the API shows it. */
export interface TriageJson {
  state: AlertState;
  by: string;
  at: string;
  comment: string | null;
  expires: string | null;
  rule: string | null;
}

/** An alert in GET /api/v1/alerts: the alert JSON, when it was stored, its deliveries, its state. */
export type AlertJson = Alert & {
  created_at: string;
  deliveries: StoredAlert['deliveries'];
  /** The state now: `open` when never triaged or the triage's `expires` passed. */
  state: AlertState;
  /** The last state change, or null when there was none. */
  triage: TriageJson | null;
};

export function triageJson(t: AlertTriage | null): TriageJson | null {
  if (t === null) return null;
  return { state: t.state, by: t.by, at: new Date(t.atMs).toISOString(), comment: t.comment, expires: iso(t.expiresMs), rule: t.ruleId };
}

export function alertJson(a: StoredAlert, nowMs: number): AlertJson {
  return {
    ...a.alert,
    created_at: new Date(a.createdMs).toISOString(),
    deliveries: a.deliveries,
    state: effectiveState(a.triage, nowMs),
    triage: triageJson(a.triage),
  };
}

/** GET /api/v1/alerts?state=&kind=&cluster=&since=&limit= (BadQueryError for a bad parameter). */
export async function listAlerts(store: BaselineStore, params: URLSearchParams, nowMs: number): Promise<{ alerts: AlertJson[] }> {
  const { limit, query } = parseAlertQuery(params, nowMs);
  const alerts = await store.listAlerts(limit, query);
  return { alerts: alerts.map((a) => alertJson(a, nowMs)) };
}

/** A stored rule in GET /api/v1/rules: what it matches, until when, and where it came from. */
export interface RuleJson {
  id: string;
  /** The rule's conditions (rules file keys). */
  match: Record<string, unknown>;
  comment: string | null;
  expires: string | null;
  expired: boolean;
  /** Written by `expect` on `alert`, by whom and when. */
  origin: { type: 'store'; alert: string | null; by: string; at: string };
}

export function ruleJson(r: StoredRule, nowMs: number): RuleJson {
  const match: Record<string, unknown> = { ...r.spec };
  delete match.name;
  delete match.comment;
  delete match.expires;
  return {
    id: r.id,
    match,
    comment: r.comment,
    expires: iso(r.expiresMs),
    expired: r.expiresMs !== null && r.expiresMs <= nowMs,
    origin: { type: 'store', alert: r.alertId, by: r.by, at: new Date(r.createdMs).toISOString() },
  };
}

/** A rules_file entry in GET /api/v1/rules (its conditions are in the file). */
export interface FileRuleJson {
  id: string;
  comment: string | null;
  expires: string | null;
  expired: boolean;
  origin: { type: 'file'; path: string };
}

export function fileRuleJson(r: FilterRule, path: string, nowMs: number): FileRuleJson {
  return {
    id: r.label,
    comment: r.comment ?? null,
    expires: Number.isFinite(r.expiresMs) ? iso(r.expiresMs) : null,
    expired: r.expiresMs <= nowMs,
    origin: { type: 'file', path },
  };
}
