/**
 * The lifecycle of an alert (README "Alert lifecycle"): open until someone acknowledges it or
 * marks it expected, and the stored allow rules `expect` writes. Both live in the store, so
 * every replica sees the same state.
 */

export type AlertState = 'open' | 'acknowledged' | 'expected';

export const ALERT_STATES: readonly AlertState[] = ['open', 'acknowledged', 'expected'];

/** One recorded state change of an alert; an alert nobody triaged has none (it is `open`). */
export interface AlertTriage {
  state: AlertState;
  /** Who: the `X-Edgewatch-User` header, `api`, or the CLI's `--user`. */
  by: string;
  atMs: number;
  comment: string | null;
  /** The state lapses at this time (the alert reads `open` again); null: never. */
  expiresMs: number | null;
  /** The stored rule `expect` wrote; null for other states. */
  ruleId: string | null;
}

/** The state an alert is in at `nowMs`: a lapsed triage leaves it open. */
export function effectiveState(triage: AlertTriage | null, nowMs: number): AlertState {
  if (triage === null) return 'open';
  if (triage.expiresMs !== null && triage.expiresMs <= nowMs) return 'open';
  return triage.state;
}

/** Filters of `listAlerts`; every one given must hold. */
export interface AlertQuery {
  /** Any of these effective states (at `nowMs`). */
  states?: readonly AlertState[];
  /** `context.kind` of the alert; alerts without a context never match. */
  kind?: string;
  cluster?: string;
  /** Created at or after this time. */
  sinceMs?: number;
  /** The time effective states are judged at (default: the store's clock). */
  nowMs?: number;
}

/**
 * An allow rule kept in the store (written by `expect`), compiled like a `rules_file` entry
 * and matched together with that file's rules.
 */
export interface StoredRule {
  /** URL-safe; the `name` of the entry and the `rule` label of edgewatch_alerts_filtered_total. */
  id: string;
  /** A rules file entry (src/detect/filter-rules.ts keys): the conditions, `name`, `comment`, `expires`. */
  spec: Record<string, unknown>;
  /** The alert it was made from, or null. */
  alertId: string | null;
  by: string;
  createdMs: number;
  comment: string | null;
  expiresMs: number | null;
}

/** `context.kind` of an alert, when it carries one (alerts of new edges do; storm summaries do not). */
export function alertKind(alert: object): string | null {
  const context = (alert as { context?: unknown }).context;
  if (typeof context !== 'object' || context === null) return null;
  const kind = (context as { kind?: unknown }).kind;
  return typeof kind === 'string' ? kind : null;
}

/** Whether a stored alert passes the filters other than state (the stores check state themselves). */
export function matchesAlertQuery(alert: { cluster: string }, createdMs: number, q: AlertQuery): boolean {
  if (q.cluster !== undefined && alert.cluster !== q.cluster) return false;
  if (q.sinceMs !== undefined && createdMs < q.sinceMs) return false;
  if (q.kind !== undefined && alertKind(alert) !== q.kind) return false;
  return true;
}

/** Whether an alert with `triage` is in one of the query's states. */
export function matchesState(triage: AlertTriage | null, q: AlertQuery, nowMs: number): boolean {
  return q.states === undefined || q.states.includes(effectiveState(triage, nowMs));
}

/** Oldest first, then by id: the order every store lists rules in. */
export function ruleOrder(a: StoredRule, b: StoredRule): number {
  return a.createdMs - b.createdMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
