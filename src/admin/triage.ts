import type { Counter } from '@opentelemetry/api';
import { STORM_RULE } from '../core/alert';
import { effectiveState, type AlertState, type AlertTriage, type StoredRule } from '../core/triage';
import type { BaselineStore, StoredAlert } from '../store/store';
import type { Logger } from '../telemetry/logger';
import type { Telemetry } from '../telemetry/metrics';
import { expectRule } from './expect-rule';
import type { ExpectInput, TriageInput } from './triage-input';

/** An alert that cannot take this change (a storm summary names no edge to expect): HTTP 409. */
export class TriageConflictError extends Error {}

export interface TriageOptions {
  baselineScope: 'cluster' | 'global';
  now?: () => number;
  /** This process wrote or deleted a stored rule: apply it now rather than at the next poll. */
  onRulesChanged?: () => unknown;
}

export interface TriageOutcome {
  /** The alert with its new state. */
  alert: StoredAlert;
  before: AlertTriage | null;
  /** The rule expect wrote; null for ack. */
  rule: StoredRule | null;
}

/**
 * The lifecycle operations of README "Alert lifecycle", for the admin API and the CLI alike:
 * each change goes to the store (so every replica sees it), is logged as one line (who, what,
 * before → after) and counted.
 */
export class Triage {
  private readonly now: () => number;
  private readonly stateChanges: Counter | null = null;
  private readonly ruleChanges: Counter | null = null;

  constructor(
    private readonly store: BaselineStore,
    private readonly opts: TriageOptions,
    private readonly logger: Logger,
    telemetry?: Telemetry,
  ) {
    this.now = opts.now ?? Date.now;
    if (telemetry) {
      const meter = telemetry.provider.getMeter('edgewatch');
      this.stateChanges = meter.createCounter('edgewatch_alert_state_changes', { description: 'Alert state changes (ack, expect), by new state' });
      this.ruleChanges = meter.createCounter('edgewatch_stored_rule_changes', { description: 'Stored rules created or deleted, by change' });
    }
  }

  /** Null when there is no such alert. */
  async ack(alertId: string, by: string, input: TriageInput): Promise<TriageOutcome | null> {
    const change: AlertTriage = { state: 'acknowledged', by, atMs: this.now(), comment: input.comment, expiresMs: input.expiresMs, ruleId: null };
    const update = await this.store.setAlertState(alertId, change);
    if (update === null) return null;
    const alert = await this.store.getAlert(alertId);
    if (alert === null) return null;
    this.logChange(alertId, 'ack', update.before, change);
    return { alert, before: update.before, rule: null };
  }

  /** Writes the allow rule first, then the state naming it. Null when there is no such alert. */
  async expect(alertId: string, by: string, input: ExpectInput): Promise<TriageOutcome | null> {
    const found = await this.store.getAlert(alertId);
    if (found === null) return null;
    if (found.alert.rule === STORM_RULE) {
      throw new TriageConflictError(`alert ${alertId} is a storm summary, which names no single edge: expect its edges' own alerts, or add a rule to rules_file`);
    }
    const nowMs = this.now();
    const rule = expectRule(found.alert, { ...input, by, nowMs, baselineScope: this.opts.baselineScope });
    await this.store.putRule(rule);
    this.logRule('created', rule, by);
    const change: AlertTriage = { state: 'expected', by, atMs: nowMs, comment: input.comment, expiresMs: input.expiresMs, ruleId: rule.id };
    const update = await this.store.setAlertState(alertId, change);
    if (update === null) {
      // Pruned in between: the rule has no alert to answer for.
      await this.deleteRule(rule.id, by);
      return null;
    }
    this.logChange(alertId, 'expect', update.before, change);
    await this.opts.onRulesChanged?.();
    return { alert: { ...found, triage: change }, before: update.before, rule };
  }

  listRules(): Promise<StoredRule[]> {
    return this.store.listRules();
  }

  /** False when there was no such rule. */
  async deleteRule(ruleId: string, by: string): Promise<boolean> {
    // Read first only for the log line: what the deleted rule matched.
    const rule = (await this.store.listRules()).find((r) => r.id === ruleId);
    if (!(await this.store.deleteRule(ruleId))) return false;
    this.logRule('deleted', rule ?? { id: ruleId }, by);
    await this.opts.onRulesChanged?.();
    return true;
  }

  private logChange(alertId: string, action: 'ack' | 'expect', before: AlertTriage | null, after: AlertTriage): void {
    const nowMs = this.now();
    const from: AlertState = effectiveState(before, nowMs);
    this.stateChanges?.add(1, { to: after.state });
    this.logger.info(
      {
        event: 'alert_state_changed',
        alert: alertId,
        action,
        by: after.by,
        before: from,
        after: after.state,
        comment: after.comment,
        expires: after.expiresMs === null ? null : new Date(after.expiresMs).toISOString(),
        rule: after.ruleId,
      },
      `alert ${alertId}: ${from} → ${after.state} by ${after.by}`,
    );
  }

  private logRule(change: 'created' | 'deleted', rule: Partial<StoredRule> & { id: string }, by: string): void {
    this.ruleChanges?.add(1, { change });
    this.logger.info(
      { event: `stored_rule_${change}`, rule: rule.id, by, match: rule.spec, alert: rule.alertId, expires: rule.expiresMs == null ? null : new Date(rule.expiresMs).toISOString() },
      `stored rule ${rule.id} ${change} by ${by}`,
    );
  }
}
