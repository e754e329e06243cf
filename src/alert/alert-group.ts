import { createHash } from 'node:crypto';
import type { Alert } from '../core/alert';

/** Alert fields a sink may group by (`group_by`), as dotted paths into the alert JSON. */
export const GROUP_FIELDS = [
  'cluster',
  'protocol',
  'rule',
  'source.workload',
  'source.namespace',
  'dest.workload',
  'dest.namespace',
  'severity',
  'context.kind',
] as const;
export type GroupField = (typeof GROUP_FIELDS)[number];

/** How a sink groups (README "Sinks": `group_by`, `group_wait`). */
export interface GroupingSpec {
  /** Alerts equal in all of these fields form one group; never empty. */
  by: readonly GroupField[];
  /** A group is sent once its oldest alert has been in the outbox this long. */
  waitMs: number;
}

/** Alerts of one group, sent as one notification. */
export interface AlertGroup {
  /** Stable for the same set of alerts of a sink: a redelivery after a crash carries the same id. */
  id: string;
  /** The group's value of each `group_by` field ('' where an alert has none). */
  keys: Partial<Record<GroupField, string>>;
  /** Oldest first. */
  alerts: Alert[];
}

/** A group holds at most this many alerts: bounds one request (and its X-Edgewatch-Alert-Id header). */
export const MAX_GROUP_SIZE = 100;

export function isGroupField(name: string): name is GroupField {
  return (GROUP_FIELDS as readonly string[]).includes(name);
}

/**
 * The alert's value of a field, '' when absent or null (a storm summary's protocol, an alert
 * enqueued before `severity` and `context` existed): such alerts group with each other.
 */
export function groupValue(alert: Alert, field: GroupField): string {
  let v: unknown = alert;
  for (const part of field.split('.')) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[part] : undefined;
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

export function groupKeys(alert: Alert, by: readonly GroupField[]): Partial<Record<GroupField, string>> {
  return Object.fromEntries(by.map((f) => [f, groupValue(alert, f)]));
}

/** One string per group: JSON of the values, so no value can make two groups collide. */
export function groupKeyOf(alert: Alert, by: readonly GroupField[]): string {
  return JSON.stringify(by.map((f) => groupValue(alert, f)));
}

/** `grp-` and 24 hex digits of a hash of the sink and the sorted alert ids. */
export function groupId(sink: string, alertIds: readonly string[]): string {
  const h = createHash('sha256').update(sink);
  for (const id of [...alertIds].sort()) h.update('\n').update(id);
  return `grp-${h.digest('hex').slice(0, 24)}`;
}

/** A group of the given alerts (the caller made sure they share the keys). */
export function makeGroup(sink: string, by: readonly GroupField[], alerts: Alert[]): AlertGroup {
  return { id: groupId(sink, alerts.map((a) => a.id)), keys: alerts.length > 0 ? groupKeys(alerts[0], by) : {}, alerts };
}
