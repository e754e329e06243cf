import { readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Counter } from '@opentelemetry/api';
import { ConfigError } from '../core/errors';
import type { Observation } from '../core/observation';
import type { Logger } from '../telemetry/logger';
import type { Telemetry } from '../telemetry/metrics';
import type { Assessment } from './alert-context';
import type { AlertFilter } from './detector';
import { compileFilterRules, FilterRulesError, type FilterRule, type FilterRuleSet } from './filter-rules';

export interface FilterRulesWatcherOptions {
  path: string;
  /** How often the file's stat is compared besides fs.watch events; 0 disables. */
  pollIntervalMs: number;
  /** Quiet time after a file-system event before reading (editors write in several steps). */
  debounceMs?: number;
  now?: () => number;
}

export type ReloadResult = { ok: true; rules: number; changed: boolean } | { ok: false; error: string };

/**
 * The filter rules of `rules_file`, compiled into the detector's AlertFilter and kept current:
 * reloaded on reload() (SIGHUP), on file-system events in the file's directory (debounced;
 * watching the directory, not the file, survives editors and Kubernetes ConfigMap updates that
 * replace the file), and when a periodic stat sees another mtime, size or inode (where events
 * are not delivered, e.g. some network file systems). A file that fails to load is logged and
 * the rules in force stay. Expiry is checked on every match, so a rule stops at its time
 * without any reload.
 */
export class FilterRulesWatcher {
  private rules: FilterRuleSet;
  private text: string;
  private statKey: string;
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | null = null;
  private debounce: NodeJS.Timeout | null = null;
  private reloading: Promise<ReloadResult> = Promise.resolve({ ok: true, rules: 0, changed: false });
  private readonly now: () => number;
  private readonly filtered: Counter;
  private readonly reloads: Counter;

  /** Loads the file now: at start a missing or bad file is a ConfigError (exit 2). */
  constructor(
    private readonly opts: FilterRulesWatcherOptions,
    telemetry: Telemetry,
    private readonly logger: Logger,
  ) {
    this.now = opts.now ?? Date.now;
    try {
      this.text = readFileSync(opts.path, 'utf8');
      this.statKey = statKey(statSync(opts.path));
      this.rules = compileFilterRules(this.text);
    } catch (err) {
      throw new ConfigError(`rules_file (${opts.path})`, 'a readable filter rules file', (err as Error).message);
    }
    const meter = telemetry.provider.getMeter('edgewatch');
    this.filtered = meter.createCounter('edgewatch_alerts_filtered', { description: 'New edges whose alert a filter rule dropped, by rule' });
    this.reloads = meter.createCounter('edgewatch_filter_rules_reloads', { description: 'Reloads of the filter rules file, by outcome' });
    telemetry.gauge('edgewatch_filter_rules_loaded', 'Filter rules loaded, by state (active, expired)', () => {
      const now = this.now();
      const expired = this.rules.rules.filter((r) => r.expiresMs <= now).length;
      return [
        [this.rules.rules.length - expired, { state: 'active' }],
        [expired, { state: 'expired' }],
      ];
    });
  }

  /** The detector's filter: true when an unexpired rule matches. */
  readonly filter: AlertFilter = (obs, assessed) => this.rules.match(obs, this.now(), assessed) !== null;

  /** Count a new edge the filter suppressed under the rule that matched (detector.onSuppressed). */
  countFiltered(obs: Observation, assessed?: Assessment): void {
    const rule = this.rules.match(obs, this.now(), assessed);
    if (rule !== null) this.filtered.add(1, { rule: rule.label });
  }

  get ruleCount(): number {
    return this.rules.rules.length;
  }

  /** The rules in force, expired ones included (GET /api/v1/rules lists them). */
  get loaded(): readonly FilterRule[] {
    return this.rules.rules;
  }

  start(): void {
    try {
      const name = basename(this.opts.path);
      this.watcher = watch(dirname(this.opts.path), { persistent: false }, (_event, file) => {
        // ConfigMap updates swap a `..data` symlink, not the file itself: any event may matter.
        if (file === null || file === name || String(file).startsWith('..')) this.schedule();
      });
      this.watcher.on('error', (err) => this.logger.warn({ err, path: this.opts.path }, 'watching the rules file failed; relying on polling'));
    } catch (err) {
      this.logger.warn({ err, path: this.opts.path }, 'cannot watch the rules file; relying on polling');
    }
    if (this.opts.pollIntervalMs > 0) {
      this.poll = setInterval(() => void this.pollOnce(), this.opts.pollIntervalMs);
      this.poll.unref();
    }
    this.logger.info({ path: this.opts.path, rules: this.ruleCount }, 'filter rules loaded');
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.poll !== null) clearInterval(this.poll);
    if (this.debounce !== null) clearTimeout(this.debounce);
    this.poll = null;
    this.debounce = null;
  }

  /** Re-read the file now (SIGHUP, admin, tests). Serialised: overlapping calls run one after another. */
  reload(reason = 'requested'): Promise<ReloadResult> {
    this.reloading = this.reloading.then(() => this.load(reason));
    return this.reloading;
  }

  private schedule(): void {
    if (this.debounce !== null) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      void this.reload('file changed');
    }, this.opts.debounceMs ?? 200);
    this.debounce.unref();
  }

  private async pollOnce(): Promise<void> {
    try {
      if (statKey(await stat(this.opts.path)) !== this.statKey) await this.reload('file changed (poll)');
    } catch {
      // A missing file is reported by the reload that notices it changed, not on every poll.
    }
  }

  private async load(reason: string): Promise<ReloadResult> {
    let text: string;
    let key: string;
    try {
      [text, key] = await Promise.all([readFile(this.opts.path, 'utf8'), stat(this.opts.path).then(statKey)]);
    } catch (err) {
      return this.failed(reason, `cannot read: ${(err as Error).message}`);
    }
    this.statKey = key;
    if (text === this.text) {
      // File events fire for unrelated writes; only an explicit reload deserves an answer in the log.
      if (reason === 'SIGHUP') this.logger.info({ path: this.opts.path, rules: this.ruleCount }, 'filter rules unchanged');
      return { ok: true, rules: this.ruleCount, changed: false };
    }
    let rules: FilterRuleSet;
    try {
      rules = compileFilterRules(text);
    } catch (err) {
      return this.failed(reason, err instanceof FilterRulesError ? err.message : `unexpected error: ${String(err)}`);
    }
    this.rules = rules;
    this.text = text;
    this.reloads.add(1, { outcome: 'ok' });
    this.logger.info({ path: this.opts.path, rules: rules.rules.length, reason }, 'filter rules reloaded');
    return { ok: true, rules: rules.rules.length, changed: true };
  }

  private failed(reason: string, error: string): ReloadResult {
    this.reloads.add(1, { outcome: 'error' });
    this.logger.error({ path: this.opts.path, reason, error, rulesInForce: this.ruleCount }, 'filter rules file rejected; the previous rules stay in force');
    return { ok: false, error };
  }
}

function statKey(s: { mtimeMs: number; size: number; ino: number }): string {
  return `${s.mtimeMs}:${s.size}:${s.ino}`;
}
