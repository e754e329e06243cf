import type { Config } from '../config/config';
import type { BaselineStore } from '../store/store';
import type { Logger } from '../telemetry/logger';
import type { Telemetry } from '../telemetry/metrics';
import type { Detector } from './detector';
import { FilterRulesWatcher, type ReloadResult } from './filter-rules-watcher';
import { StormGuard } from './storm-guard';

export interface AlertGuardsOptions {
  /** Unique per process (the outbox consumer id): storm summaries of replicas stay apart. */
  replicaId: string;
  now?: () => number;
  /** Storm summaries were enqueued: deliver now. */
  notify: () => void;
}

type GuardSettings = Pick<Config, 'rulesPollIntervalMs' | 'stormMaxAlertsPerMinute' | 'baselineWindowMs' | 'detectionWindowMs'> &
  Partial<Pick<Config, 'rulesFile' | 'externalUrl'>>;

/**
 * What stands between a new edge and a channel: the filter rules of `rules_file` and the storm
 * guard, attached to the detector. Constructing loads the rules file (a bad one is a
 * ConfigError at start); start() begins watching it and summarising storms.
 */
export class AlertGuards {
  readonly rules: FilterRulesWatcher | null = null;
  readonly storm: StormGuard | null = null;

  constructor(cfg: GuardSettings, detector: Detector, store: BaselineStore, opts: AlertGuardsOptions, telemetry: Telemetry, logger: Logger) {
    if (cfg.rulesFile !== undefined && cfg.rulesFile !== '') {
      const rules = new FilterRulesWatcher({ path: cfg.rulesFile, pollIntervalMs: cfg.rulesPollIntervalMs, now: opts.now }, telemetry, logger);
      detector.setFilter(rules.filter);
      detector.onSuppressed((reason, obs) => {
        if (reason === 'filtered') rules.countFiltered(obs);
      });
      this.rules = rules;
    }
    if (cfg.stormMaxAlertsPerMinute > 0) {
      const storm = new StormGuard(
        store,
        {
          maxPerWindow: cfg.stormMaxAlertsPerMinute,
          replicaId: opts.replicaId,
          externalUrl: cfg.externalUrl,
          baselineWindowMs: cfg.baselineWindowMs,
          detectionWindowMs: cfg.detectionWindowMs,
          now: opts.now,
        },
        (n) => {
          telemetry.alertsEnqueued.add(n);
          opts.notify();
        },
        logger,
      );
      detector.setBudget(storm);
      this.storm = storm;
    }
  }

  start(): void {
    this.rules?.start();
    this.storm?.start();
  }

  /** Summarise held-back edges (their summary goes to the outbox before the dispatcher drains). */
  async stop(): Promise<void> {
    this.rules?.stop();
    await this.storm?.stop();
  }

  /** SIGHUP: re-read the rules file. Without one there is nothing to reload. */
  reloadRules(): Promise<ReloadResult> {
    if (this.rules === null) return Promise.resolve({ ok: false, error: 'no rules_file configured' });
    return this.rules.reload('SIGHUP');
  }
}
