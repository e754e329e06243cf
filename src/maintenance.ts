import type { Config } from './config/config';
import type { Detector } from './detect/detector';
import type { BaselineStore } from './store/store';
import type { Logger } from './telemetry/logger';

/** Background timers: flush batched refreshes, prune edges past the baseline window. */
export class Maintenance {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly detector: Detector,
    private readonly store: BaselineStore,
    private readonly cfg: Pick<Config, 'flushIntervalMs' | 'pruneIntervalMs' | 'baselineWindowMs'>,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  private readonly flushes: Array<{ fn: () => Promise<unknown>; what: string }> = [];

  /** Another stage's flush on the same flush_interval timer (the traffic detections); register before start. */
  onFlush(fn: () => Promise<unknown>, what: string): void {
    this.flushes.push({ fn, what });
  }

  start(): void {
    this.every(this.cfg.flushIntervalMs, () => this.detector.flush(), 'refresh flush');
    // Each on a timer of its own: one stage's failing store step never holds up the other's flush.
    for (const f of this.flushes) this.every(this.cfg.flushIntervalMs, f.fn, f.what);
    this.every(this.cfg.pruneIntervalMs, () => this.prune(), 'prune');
  }

  /** Edges pruned since start, counted slice by slice (edgewatch_edges_pruned_total shows a long prune advance). */
  prunedTotal = 0;

  async prune(): Promise<number> {
    const started = performance.now();
    const n = await this.store.prune(this.now() - this.cfg.baselineWindowMs, (slice) => {
      this.prunedTotal += slice;
    });
    if (n > 0) this.logger.info({ pruned: n, ms: Math.round(performance.now() - started) }, 'pruned edges older than the baseline window');
    return n;
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  private every(ms: number, fn: () => Promise<unknown>, what: string): void {
    let running = false;
    const t = setInterval(() => {
      if (running) return;
      running = true;
      fn()
        .catch((err: unknown) => this.logger.warn({ err }, `${what} failed; retrying on the next tick`))
        .finally(() => {
          running = false;
        });
    }, ms);
    t.unref();
    this.timers.push(t);
  }
}
