import type { Alert } from '../core/alert';
import type { StoredRule } from '../core/triage';
import { isTrafficAlertRule } from '../core/traffic-rules';
import type { ExpectScope } from './triage-input';

/**
 * A pattern (src/detect/pattern.ts) that matches exactly `value`: the value itself when it reads
 * as a plain literal, else an anchored regular expression (a workload named `a*b`, `/x/` or '').
 */
export function literalPattern(value: string): string {
  if (value !== '' && !/[*?]/.test(value) && !/^\/.*\/[a-z]*$/s.test(value)) return value;
  return `/^${value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$/`;
}

/** Id of the rule `expect` writes for an alert: stable, so expecting an alert again replaces its rule. */
export function expectRuleId(alertId: string, scope: ExpectScope): string {
  const base = `expect-${alertId.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 16)}`;
  return scope === 'source' ? `${base}-source` : base;
}

export interface ExpectRuleInput {
  scope: ExpectScope;
  by: string;
  nowMs: number;
  comment: string | null;
  expiresMs: number | null;
  /** Under `global` the baseline ignores the cluster, and so does the rule. */
  baselineScope: 'cluster' | 'global';
}

/**
 * The allow rule of `expect`: a rules file entry matching that edge (cluster, protocol, source,
 * dest) or, with scope `source`, everything the source workload starts (in that cluster).
 */
export function expectRule(alert: Alert, input: ExpectRuleInput): StoredRule {
  const id = expectRuleId(alert.id, input.scope);
  const spec: Record<string, unknown> = { name: id };
  if (input.baselineScope === 'cluster') spec.cluster = literalPattern(alert.cluster);
  // A traffic-anomaly alert's rule mutes that rule only (not the edge's new-edge alerts); its
  // protocol is just that of its first anomaly, so it is left out.
  const traffic = isTrafficAlertRule(alert.rule);
  if (traffic) spec.rule = alert.rule;
  if (input.scope === 'edge') {
    if (alert.protocol !== null && !traffic) spec.protocol = alert.protocol;
    spec.source = literalPattern(alert.source.workload);
    spec.dest = literalPattern(alert.dest.workload);
  } else {
    spec.source = literalPattern(alert.source.workload);
  }
  if (input.comment !== null) spec.comment = input.comment;
  if (input.expiresMs !== null) spec.expires = new Date(input.expiresMs).toISOString();
  return { id, spec, alertId: alert.id, by: input.by, createdMs: input.nowMs, comment: input.comment, expiresMs: input.expiresMs };
}
