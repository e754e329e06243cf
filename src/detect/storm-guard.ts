import type { AlertDraft } from '../core/alert';
import type { BaselineStore } from '../store/store';
import type { StormPolicy, StormSweepResult } from '../store/storm';
import type { Logger } from '../telemetry/logger';
import { buildStormSummary } from './storm-summary';

export interface StormGuardOptions {
  /** Alerts per cluster per window at most (storm_max_alerts_per_minute); > 0. */
  maxPerWindow: number;
  /** Default 60 s. Windows are aligned to the epoch on the store's clock, so replicas share them. */
  windowMs?: number;
  /** How often ended windows are summarised and interrupted decisions swept. Default 1 s. */
  tickMs?: number;
  /** A window is summarised this long after its end, so decisions in flight land in it. Default 5 s. */
  graceMs?: number;
  /** A decision parked this long is taken for abandoned (a crashed replica's) and finished. Default 2 s. */
  parkedAgeMs?: number;
  externalUrl?: string;
  baselineWindowMs: number;
  detectionWindowMs: number;
  now?: () => number;
}

/** What the guard reports to the process (metrics, the dispatcher). */
export interface StormGuardEvents {
  /** Alerts enqueued by a tick (summaries, and swept alerts): count them and deliver now. */
  enqueued(n: number): void;
  /** New edges a sweep held back (observe reports its own through the detector). */
  heldBack(n: number): void;
}

const DEFAULT_WINDOW_MS = 60_000;

/**
 * The storm guard, process side. The cap itself lives in the store: the detector passes
 * `policy` to every observe, and the store counts each new edge's alert in its cluster's
 * window in the same atomic operation that decides "new" — across every replica, and without
 * touching known-edge points. Held-back edges are recorded in the store as they happen, so
 * summaries are built from the store: a crash loses none, and any replica may write a window's
 * summary (one per cluster per window, deterministic id). This class only ticks: it asks the
 * store to finish decisions a crash interrupted and to summarise windows that have ended.
 */
export class StormGuard {
  readonly policy: StormPolicy;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly store: BaselineStore,
    private readonly opts: StormGuardOptions,
    private readonly events: StormGuardEvents,
    private readonly logger: Logger,
  ) {
    if (!Number.isInteger(opts.maxPerWindow) || opts.maxPerWindow < 1) throw new Error('StormGuard: maxPerWindow must be a positive integer');
    const windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
    if (!Number.isInteger(windowMs) || windowMs < 1) throw new Error('StormGuard: windowMs must be a positive integer');
    this.policy = Object.freeze({ maxPerWindow: opts.maxPerWindow, windowMs });
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.tick(), this.opts.tickMs ?? 1000);
    this.timer.unref();
  }

  /** Stop ticking, after one last tick (windows that ended go out before the dispatcher drains). */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.tick();
  }

  /**
   * Sweep abandoned decisions, then summarise ended windows; returns the summaries enqueued.
   * Never rejects: a store that is down is tried again on the next tick. Ticks do not overlap.
   */
  tick(): Promise<number> {
    this.running ??= this.run().finally(() => (this.running = null));
    return this.running;
  }

  private async run(): Promise<number> {
    let swept: StormSweepResult = { alerted: 0, heldBack: 0 };
    let summaries: AlertDraft[] = [];
    try {
      swept = await this.store.sweepStorm(this.opts.parkedAgeMs ?? 2000);
      summaries = await this.store.summariseStorms(this.opts.graceMs ?? 5000, (w) =>
        buildStormSummary(w, {
          externalUrl: this.opts.externalUrl,
          baselineWindowMs: this.opts.baselineWindowMs,
          detectionWindowMs: this.opts.detectionWindowMs,
          nowMs: this.now(),
        }),
      );
    } catch (err) {
      this.logger.warn({ err }, 'storm guard tick failed (store unavailable?); retrying on the next tick');
    }
    if (swept.alerted > 0 || swept.heldBack > 0) this.logger.info(swept, 'storm guard finished decisions an interrupted replica left');
    for (const d of summaries) {
      this.logger.warn({ cluster: d.cluster, heldBack: d.held_back, windowStart: d.window_start, listUrl: d.list_url }, 'storm guard held back new-edge alerts');
    }
    if (swept.heldBack > 0) this.events.heldBack(swept.heldBack);
    if (summaries.length + swept.alerted > 0) this.events.enqueued(summaries.length + swept.alerted);
    return summaries.length;
  }
}
