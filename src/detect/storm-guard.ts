import type { AlertDraft } from '../core/alert';
import type { Protocol } from '../core/observation';
import type { BaselineStore } from '../store/store';
import type { Logger } from '../telemetry/logger';
import type { AlertBudget } from './alert-budget';
import { buildStormSummary, type HeldBackWindow } from './storm-summary';

export interface StormGuardOptions {
  /** Alerts per cluster per window at most (storm_max_alerts_per_minute); > 0. */
  maxPerWindow: number;
  /** Default 60 s. Windows are aligned to the epoch, so replicas share their boundaries. */
  windowMs?: number;
  /** How often ended windows are summarised. Default 1 s. */
  tickMs?: number;
  replicaId: string;
  externalUrl?: string;
  baselineWindowMs: number;
  detectionWindowMs: number;
  now?: () => number;
}

interface ClusterWindow {
  startMs: number;
  used: number;
  firstHeldMs: number;
  held: Partial<Record<Protocol, number>>;
}

const DEFAULT_WINDOW_MS = 60_000;

/**
 * The storm guard: at most `maxPerWindow` alerts per cluster per (epoch-aligned) minute. Past
 * the cap, new edges still enter the baseline (the detector observes them without a draft) and
 * are counted; when the window ends, one summary alert per cluster says how many were held
 * back and where to list them. The summary goes through the store's outbox like any alert.
 *
 * The count is per process: with N replicas on one store a cluster gets at most N × cap alerts
 * and up to N summaries per minute. A shared counter would need a store round trip per alert
 * and a summary that several replicas add to; the per-process cap already bounds a storm to a
 * small multiple of the cap, which is what keeps a channel usable.
 */
export class StormGuard implements AlertBudget {
  private readonly windows = new Map<string, ClusterWindow>();
  /** Ended windows with held-back edges whose summary is not in the outbox yet (store down: retried). */
  private readonly pending: HeldBackWindow[] = [];
  private readonly windowMs: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  private emitting: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: BaselineStore,
    private readonly opts: StormGuardOptions,
    private readonly onEnqueued: (n: number) => void,
    private readonly logger: Logger,
  ) {
    if (!Number.isInteger(opts.maxPerWindow) || opts.maxPerWindow < 1) throw new Error('StormGuard: maxPerWindow must be a positive integer');
    this.windowMs = opts.windowMs ?? DEFAULT_WINDOW_MS;
    this.now = opts.now ?? Date.now;
  }

  reserve(cluster: string, want: number, nowMs: number): number {
    const w = this.current(cluster, nowMs);
    const granted = Math.max(0, Math.min(want, this.opts.maxPerWindow - w.used));
    w.used += granted;
    return granted;
  }

  release(cluster: string, n: number, reservedAtMs: number): void {
    const w = this.windows.get(cluster);
    // Budget of a window that has ended meanwhile is gone with it.
    if (w === undefined || w.startMs !== this.windowStart(reservedAtMs)) return;
    w.used = Math.max(0, w.used - n);
  }

  heldBack(cluster: string, protocol: Protocol, nowMs: number): void {
    const w = this.current(cluster, nowMs);
    if (Object.keys(w.held).length === 0) w.firstHeldMs = nowMs;
    w.held[protocol] = (w.held[protocol] ?? 0) + 1;
  }

  /** Edges held back in the current windows (tests, logs). */
  heldBackNow(cluster: string): number {
    const w = this.windows.get(cluster);
    return w === undefined ? 0 : Object.values(w.held).reduce((a, b) => a + (b ?? 0), 0);
  }

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(() => void this.tick(), this.opts.tickMs ?? 1000);
    this.timer.unref();
  }

  /** Stop the timer and summarise every window with held-back edges now, ended or not. */
  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Summarise windows that have ended; returns the summaries enqueued. */
  tick(nowMs = this.now()): Promise<number> {
    for (const [cluster, w] of this.windows) {
      if (w.startMs + this.windowMs > nowMs) continue;
      this.windows.delete(cluster);
      this.close(cluster, w, w.startMs + this.windowMs);
    }
    return this.emit();
  }

  /** Summarise every window with held-back edges now, including current ones (shutdown, tests). */
  flush(nowMs = this.now()): Promise<number> {
    for (const [cluster, w] of this.windows) {
      this.close(cluster, w, Math.min(nowMs, w.startMs + this.windowMs));
      w.held = {};
    }
    return this.emit();
  }

  private windowStart(ms: number): number {
    return ms - (((ms % this.windowMs) + this.windowMs) % this.windowMs);
  }

  private current(cluster: string, nowMs: number): ClusterWindow {
    const start = this.windowStart(nowMs);
    const w = this.windows.get(cluster);
    if (w !== undefined && w.startMs === start) return w;
    if (w !== undefined) this.close(cluster, w, w.startMs + this.windowMs);
    const fresh: ClusterWindow = { startMs: start, used: 0, firstHeldMs: nowMs, held: {} };
    this.windows.set(cluster, fresh);
    return fresh;
  }

  private close(cluster: string, w: ClusterWindow, endMs: number): void {
    if (Object.keys(w.held).length === 0) return;
    this.pending.push({ cluster, windowStartMs: w.startMs, windowEndMs: endMs, firstMs: w.firstHeldMs, byProtocol: { ...w.held } });
  }

  /** Enqueue pending summaries; runs are chained so a tick and a flush never enqueue one twice. */
  private emit(): Promise<number> {
    const run = this.emitting.then(() => this.enqueuePending());
    this.emitting = run;
    return run;
  }

  private async enqueuePending(): Promise<number> {
    let enqueued = 0;
    while (this.pending.length > 0) {
      const w = this.pending[0];
      const draft: AlertDraft = buildStormSummary(w, {
        replicaId: this.opts.replicaId,
        seq: this.seq,
        externalUrl: this.opts.externalUrl,
        baselineWindowMs: this.opts.baselineWindowMs,
        detectionWindowMs: this.opts.detectionWindowMs,
        nowMs: this.now(),
      });
      try {
        if (await this.store.enqueueAlert(draft)) enqueued++;
      } catch (err) {
        this.logger.warn({ err, cluster: w.cluster }, 'storm summary not enqueued (store unavailable); retrying on the next tick');
        break;
      }
      this.pending.shift();
      this.seq++;
      this.logger.warn({ cluster: w.cluster, heldBack: draft.held_back, listUrl: draft.list_url }, 'storm guard held back new-edge alerts');
    }
    if (enqueued > 0) this.onEnqueued(enqueued);
    return enqueued;
  }
}
