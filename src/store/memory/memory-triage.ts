import { ruleOrder, type AlertTriage, type StoredRule } from '../../core/triage';

/**
 * Alert states and stored rules of MemoryStore. Records are cloned in and out, as with the
 * stores that serialise them.
 */
export class MemoryTriage {
  private readonly states = new Map<string, AlertTriage>();
  private readonly rules = new Map<string, StoredRule>();
  private version = 0;

  stateOf(alertId: string): AlertTriage | null {
    const t = this.states.get(alertId);
    return t ? { ...t } : null;
  }

  setState(alertId: string, change: AlertTriage): AlertTriage | null {
    const before = this.stateOf(alertId);
    this.states.set(alertId, { ...change });
    return before;
  }

  /** Drop the states of alerts that are gone (after the outbox pruned them). */
  retainStates(exists: (alertId: string) => boolean): void {
    for (const id of this.states.keys()) if (!exists(id)) this.states.delete(id);
  }

  putRule(rule: StoredRule): void {
    this.rules.set(rule.id, structuredClone(rule));
    this.version += 1;
  }

  listRules(): StoredRule[] {
    return [...this.rules.values()].map((r) => structuredClone(r)).sort(ruleOrder);
  }

  deleteRule(ruleId: string): boolean {
    if (!this.rules.delete(ruleId)) return false;
    this.version += 1;
    return true;
  }

  rulesVersion(): number {
    return this.version;
  }
}
