import { formatDuration } from '../config/duration';
import { GLOBAL_SCOPE } from '../core/edge';
import type { ScopeRecord } from '../store/store';
import type { Logger } from '../telemetry/logger';

/** setTimeout's limit (about 24.8 days); a longer learning period waits in steps. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The learning period said out loud: one log line when a cluster enters it (its first point)
 * and one when it leaves it, so a new user sees why edges arrive and no alert follows. One
 * timer per learning cluster in this process; clusters already learning when the process
 * starts (the store's scopes) get the "leaves" line too.
 */
export class LearningLog {
  /** Learning end per scope this process tracks (timer pending or line already logged). */
  private readonly ends = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly learningMs: number,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Scopes the store already holds at start: those still learning are tracked until they leave. */
  resume(scopes: readonly ScopeRecord[]): void {
    for (const s of scopes) {
      const until = s.firstPointMs + this.learningMs;
      if (this.learningMs === 0 || this.ends.has(s.scope) || until <= this.now()) continue;
      this.logger.info(this.fields(s.scope, s.firstPointMs), `${name(s.scope)} is in its learning period until ${iso(until)}: its new edges are recorded without alerts (set learning_period to change it)`);
      this.track(s.scope, until);
    }
  }

  /**
   * The detector noted a scope: `firstMs` is the store's earliest point for it, `created` true
   * when this note recorded the scope's first point ever (the cluster is new).
   */
  noted(scope: string, firstMs: number, created: boolean): void {
    if (this.learningMs === 0 || this.stopped) return;
    const until = firstMs + this.learningMs;
    const known = this.ends.get(scope);
    if (known !== undefined) {
      // An earlier (late) point moved the end forward in time; a cluster that already left stays left.
      if (until < known && this.timers.has(scope)) this.track(scope, until);
      return;
    }
    if (created) {
      this.logger.info(
        this.fields(scope, firstMs),
        `${name(scope)} entered its learning period: its new edges are recorded without alerts until ${iso(until)} (learning_period ${formatDuration(this.learningMs)} after its first point; the learning_period setting changes it, 0 disables it)`,
      );
    } else if (until <= this.now()) {
      // Known to the store before this process and already past learning: nothing to say.
      this.ends.set(scope, until);
      return;
    }
    this.track(scope, until);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private track(scope: string, until: number): void {
    this.ends.set(scope, until);
    const prev = this.timers.get(scope);
    if (prev !== undefined) clearTimeout(prev);
    const wait = Math.max(0, until - this.now());
    const t = setTimeout(() => {
      this.timers.delete(scope);
      if (this.stopped) return;
      if (until > this.now()) return this.track(scope, until);
      this.logger.info({ cluster: clusterField(scope), learningUntil: iso(until) }, `${name(scope)} left its learning period: new edges of ${scope === GLOBAL_SCOPE ? 'any cluster' : scope} now alert`);
    }, Math.min(wait, MAX_TIMER_MS));
    t.unref();
    this.timers.set(scope, t);
  }

  private fields(scope: string, firstMs: number): Record<string, unknown> {
    return { cluster: clusterField(scope), firstPoint: iso(firstMs), learningUntil: iso(firstMs + this.learningMs), learningPeriod: formatDuration(this.learningMs), setting: 'learning_period' };
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();
/** Under baseline_scope global one learning period covers every cluster. */
const clusterField = (scope: string): string | null => (scope === GLOBAL_SCOPE ? null : scope);
const name = (scope: string): string => (scope === GLOBAL_SCOPE ? 'the global baseline (baseline_scope global)' : `cluster ${scope}`);
