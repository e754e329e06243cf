import type { Counter } from '@opentelemetry/api';
import type { Observation } from '../core/observation';
import type { StoredRule } from '../core/triage';
import type { BaselineStore } from '../store/store';
import type { Logger } from '../telemetry/logger';
import type { Telemetry } from '../telemetry/metrics';
import type { Assessment } from './alert-context';
import { compileRuleEntry, filterRuleSet, type FilterRule, type FilterRuleSet } from './filter-rules';

/** How often a replica asks the store whether the stored rules changed ("within a second"). */
export const STORED_RULES_POLL_MS = 1000;

export interface StoredRulesOptions {
  pollIntervalMs?: number;
  now?: () => number;
}

/** A stored rule as the rules file entry it compiles from: its id is its name (the metric label). */
export function ruleEntry(rule: StoredRule): Record<string, unknown> {
  return { ...rule.spec, name: rule.id };
}

/**
 * The allow rules kept in the store (written by `expect`), compiled like rules_file entries and
 * kept current on every replica: a timer asks the store for its cheap rules version at most
 * once per interval and re-reads the rules only when it changed (never per point). A store that
 * does not answer leaves the rules in force. Expiry is checked on every match.
 */
export class StoredRules {
  private set: FilterRuleSet = filterRuleSet([]);
  private version: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Syncs run one after another; a tick while one runs is skipped. */
  private chain: Promise<void> = Promise.resolve();
  private inFlight = false;
  private failing = false;
  private readonly now: () => number;
  private readonly filtered: Counter;

  constructor(
    private readonly store: BaselineStore,
    private readonly opts: StoredRulesOptions,
    telemetry: Telemetry,
    private readonly logger: Logger,
  ) {
    this.now = opts.now ?? Date.now;
    const meter = telemetry.provider.getMeter('edgewatch');
    // The same instrument the rules file counts into: one metric, labelled by rule.
    this.filtered = meter.createCounter('edgewatch_alerts_filtered', { description: 'New edges whose alert a filter rule dropped, by rule' });
    telemetry.gauge('edgewatch_stored_rules', 'Stored rules (written by expect) in force on this replica, by state (active, expired)', () => {
      const now = this.now();
      const expired = this.set.rules.filter((r) => r.expiresMs <= now).length;
      return [
        [this.set.rules.length - expired, { state: 'active' }],
        [expired, { state: 'expired' }],
      ];
    });
  }

  get rules(): readonly FilterRule[] {
    return this.set.rules;
  }

  /** The first unexpired stored rule matching `obs` (of kind and severity `assessed`), or null. */
  match(obs: Observation, assessed?: Assessment): FilterRule | null {
    return this.set.match(obs, this.now(), assessed);
  }

  /** Count a suppressed new edge under the stored rule that matched; false when none did. */
  countFiltered(obs: Observation, assessed?: Assessment): boolean {
    const rule = this.match(obs, assessed);
    if (rule !== null) this.filtered.add(1, { rule: rule.label });
    return rule !== null;
  }

  start(): void {
    void this.sync();
    const every = this.opts.pollIntervalMs ?? STORED_RULES_POLL_MS;
    if (every <= 0) return;
    this.timer = setInterval(() => {
      if (!this.inFlight) void this.sync();
    }, every);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Check the version now and reload on a change (timer ticks, and right after this replica wrote a rule). */
  sync(): Promise<void> {
    this.inFlight = true;
    this.chain = this.chain.then(() => this.load()).finally(() => (this.inFlight = false));
    return this.chain;
  }

  private async load(): Promise<void> {
    let rules: StoredRule[];
    let version: number;
    try {
      version = await this.store.rulesVersion();
      if (version === this.version) return this.recovered();
      rules = await this.store.listRules();
    } catch (err) {
      if (!this.failing) this.logger.warn({ err }, 'cannot read the stored rules; the rules in force stay');
      this.failing = true;
      return;
    }
    this.recovered();
    const compiled: FilterRule[] = [];
    for (const r of rules) {
      try {
        compiled.push(compileRuleEntry(ruleEntry(r), `stored rule ${r.id}`));
      } catch (err) {
        // A rule another release wrote with fields this one does not know: skip it, keep the rest.
        this.logger.error({ rule: r.id, error: (err as Error).message }, 'stored rule rejected');
      }
    }
    const before = this.set.rules.length;
    this.set = filterRuleSet(compiled);
    const first = this.version === null;
    this.version = version;
    if (!first || compiled.length > 0) this.logger.info({ rules: compiled.length, before, version }, 'stored rules loaded');
  }

  private recovered(): void {
    if (this.failing) this.logger.info('stored rules readable again');
    this.failing = false;
  }
}
