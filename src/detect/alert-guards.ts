import type { Config } from '../config/config';
import type { Observation } from '../core/observation';
import type { BaselineStore } from '../store/store';
import type { Logger } from '../telemetry/logger';
import type { Telemetry } from '../telemetry/metrics';
import type { Detector } from './detector';
import { FilterRulesWatcher, type ReloadResult } from './filter-rules-watcher';
import { StoredRules } from './stored-rules';
import { StormGuard } from './storm-guard';

export interface AlertGuardsOptions {
  now?: () => number;
  /** Storm summaries were enqueued: deliver now. */
  notify: () => void;
  /** How often the stored rules' version is checked (default 1 s; tests may pass 0 and sync by hand). */
  storedRulesPollMs?: number;
}

type GuardSettings = Pick<Config, 'rulesPollIntervalMs' | 'stormMaxAlertsPerMinute' | 'baselineWindowMs' | 'detectionWindowMs'> &
  Partial<Pick<Config, 'rulesFile' | 'externalUrl' | 'stormWindowMs'>>;

/**
 * What stands between a new edge and a channel: the filter rules of `rules_file` and the storm
 * guard, attached to the detector. Constructing loads the rules file (a bad one is a
 * ConfigError at start); start() begins watching it and summarising storms.
 */
export class AlertGuards {
  readonly rules: FilterRulesWatcher | null = null;
  /** The allow rules in the store (written by expect): one rule set with the file's, file first. */
  readonly stored: StoredRules;
  readonly storm: StormGuard | null = null;

  constructor(cfg: GuardSettings, detector: Detector, store: BaselineStore, opts: AlertGuardsOptions, telemetry: Telemetry, logger: Logger) {
    if (cfg.rulesFile !== undefined && cfg.rulesFile !== '') {
      this.rules = new FilterRulesWatcher({ path: cfg.rulesFile, pollIntervalMs: cfg.rulesPollIntervalMs, now: opts.now }, telemetry, logger);
    }
    const file = this.rules;
    const stored = new StoredRules(store, { pollIntervalMs: opts.storedRulesPollMs, now: opts.now }, telemetry, logger);
    this.stored = stored;
    // `assessed` (kind, severity, cross_namespace of the new edge) lets rules match the alert context.
    detector.setFilter((obs, assessed) => (file !== null && file.filter(obs, assessed)) || stored.match(obs, assessed) !== null);
    detector.onSuppressed((reason, obs, assessed) => {
      if (reason !== 'filtered') return;
      if (file !== null && file.filter(obs, assessed)) file.countFiltered(obs, assessed);
      else stored.countFiltered(obs, assessed);
    });
    if (cfg.stormMaxAlertsPerMinute > 0) {
      const storm = new StormGuard(
        store,
        {
          maxPerWindow: cfg.stormMaxAlertsPerMinute,
          windowMs: cfg.stormWindowMs,
          externalUrl: cfg.externalUrl,
          baselineWindowMs: cfg.baselineWindowMs,
          detectionWindowMs: cfg.detectionWindowMs,
          now: opts.now,
        },
        {
          enqueued: (n) => {
            telemetry.alertsEnqueued.add(n);
            opts.notify();
          },
          heldBack: (n) => telemetry.alertsSuppressed.add(n, { reason: 'storm' }),
        },
        logger,
      );
      detector.setStormPolicy(storm.policy);
      this.storm = storm;
    }
  }

  /**
   * The filter rules for alerts of other stages (the traffic detections, as their stand-in
   * observation): true drops the alert, counted under the rule that matched, file rules first.
   */
  filterAndCount(obs: Observation): boolean {
    if (this.rules !== null && this.rules.filter(obs)) {
      this.rules.countFiltered(obs);
      return true;
    }
    return this.stored.countFiltered(obs);
  }

  start(): void {
    this.rules?.start();
    this.stored.start();
    this.storm?.start();
  }

  /** Last storm tick: windows that ended are summarised before the dispatcher drains (the rest stay in the store). */
  async stop(): Promise<void> {
    this.rules?.stop();
    this.stored.stop();
    await this.storm?.stop();
  }

  /** SIGHUP: re-read the rules file. Without one there is nothing to reload. */
  reloadRules(): Promise<ReloadResult> {
    if (this.rules === null) return Promise.resolve({ ok: false, error: 'no rules_file configured' });
    return this.rules.reload('SIGHUP');
  }
}
