import { edgeId, GLOBAL_SCOPE, type EdgeKey } from '../core/edge';
import type { Observation } from '../core/observation';
import type { Stage } from '../core/stage';
import type { BaselineStore, Sighting } from '../store/store';
import type { StormPolicy } from '../store/storm';
import type { Telemetry } from '../telemetry/metrics';
import { assess, contextPolicy, type Assessment, type ContextOptions, type ContextPolicy } from './alert-context';
import { lazyAlertDraft, type DraftContext } from './alert-draft';
import { warmCache, type WarmOptions, type WarmResult } from './cache-warmer';
import { groupAppearances, type Appearance, type TimedPoint } from './appearances';
import { EdgeCache } from './edge-cache';
import { ForgetFence } from './forget-fence';
import { LearningPeriod, type ScopeNoted } from './learning';
import { RefreshBuffer } from './refresh-buffer';

export interface DetectorOptions extends ContextOptions {
  baselineWindowMs: number;
  detectionWindowMs: number;
  learningPeriodMs: number;
  clockSkewMs: number;
  baselineScope: 'cluster' | 'global';
  cacheMaxEdges: number;
  /**
   * `last_seen_resolution`: a known edge's point is handed to the store only when it starts a new
   * period of this length (default 0: every later point). Capped at 1/1000 of the window.
   */
  lastSeenResolutionMs?: number;
  /** `external_url`: new-edge alerts link to the edge on the page. */
  externalUrl?: string;
  /** Milliseconds since the epoch; injectable so tests pin every boundary. */
  now?: () => number;
}

/** Why a new edge raised no alert (label of edgewatch_alerts_suppressed_total). */
export type SuppressReason = 'late' | 'learning' | 'filtered' | 'storm';

/** Decides per alert candidate whether a filter rule drops it (filter rules plug in here); `assessed`: its kind and severity. */
export type AlertFilter = (obs: Observation, assessed?: Assessment) => boolean;

export interface DetectResult {
  points: number;
  newEdges: number;
  alerts: number;
}

/**
 * The detect stage: the design's seven rules. Known edges are answered from the cache and their
 * last-seen refresh is batched; everything else goes to the store, which decides "new" and
 * enqueues the alert atomically, so replicas, retries and replays never alert twice.
 */
export class Detector implements Stage<Observation[], DetectResult> {
  readonly cache: EdgeCache;
  readonly refreshes: RefreshBuffer;
  private readonly learning: LearningPeriod;
  private readonly now: () => number;
  private filter: AlertFilter = () => false;
  private readonly listeners: Array<() => void> = [];
  private readonly suppressedListeners: Array<(reason: SuppressReason, obs: Observation, assessed?: Assessment) => void> = [];
  private readonly context: ContextPolicy;
  /** The storm guard's cap, applied by the store inside observe; undefined: no cap. */
  private storm: StormPolicy | undefined;
  /** Position in the store's forget log; null until first read. */
  private forgetCursor: string | null = null;
  private syncing: Promise<void> | null = null;
  private readonly fence = new ForgetFence();
  /** Effective last-seen resolution (ms, 0 = none): see lastSeenResolutionMs. */
  private readonly resolution: number;

  constructor(
    private readonly store: BaselineStore,
    private readonly opts: DetectorOptions,
    private readonly telemetry: Telemetry,
  ) {
    this.cache = new EdgeCache(opts.cacheMaxEdges);
    this.refreshes = new RefreshBuffer(store);
    this.learning = new LearningPeriod(store, opts.learningPeriodMs);
    this.now = opts.now ?? Date.now;
    this.context = contextPolicy(opts);
    this.resolution = lastSeenResolution(opts.lastSeenResolutionMs ?? 0, opts.baselineWindowMs);
  }

  setFilter(filter: AlertFilter): void {
    this.filter = filter;
  }

  /** Caps alerts per cluster per window (the storm guard), counted by the store; null removes the cap. */
  setStormPolicy(policy: StormPolicy | null): void {
    this.storm = policy ?? undefined;
  }

  /** Called for each new edge that raised no alert, with the reason (filter rule metrics count these). */
  onSuppressed(listener: (reason: SuppressReason, obs: Observation, assessed?: Assessment) => void): void {
    this.suppressedListeners.push(listener);
  }

  /** Called when a batch's earliest point of a scope was recorded (the learning log: enters / leaves). */
  onScopeNoted(listener: ScopeNoted): void {
    this.learning.onNoted = listener;
  }

  /** Called after a batch enqueued alerts (the dispatcher delivers at once instead of polling). */
  onAlerts(listener: () => void): void {
    this.listeners.push(listener);
  }

  async consume(batch: Observation[]): Promise<DetectResult> {
    const now = this.now();
    const windowMs = this.opts.baselineWindowMs;
    const global = this.opts.baselineScope === 'global';
    const res = this.resolution;
    const misses: TimedPoint[] = [];
    let hits = 0;
    let written = 0;
    let withinPeriod = 0;
    for (const obs of batch) {
      const t = this.effectiveTime(obs.timeMs, now);
      const scope = global ? GLOBAL_SCOPE : obs.cluster;
      // The per-point path: one hash of the key's parts, no key object, no string built.
      const h = this.cache.hash(scope, obs.protocol, obs.source, obs.dest);
      // Known iff some observation lies in [t − window, t) or later: the cache holds the exact last-seen.
      const cached = this.cache.knownHash(h, t, t - windowMs);
      if (cached >= 0) {
        hits++;
        // The cache keeps the exact last-seen; the store gets the first point of each period. Each
        // edge's periods start at its own offset (a hash lane), so writes spread evenly in time
        // instead of every edge crossing one boundary at once.
        if (t <= cached) continue;
        if (res === 0 || !samePeriod(t, cached, (h[1] >>> 0) % res, res)) {
          written++;
          this.refreshes.add(h, scope, obs.protocol, obs.source, obs.dest, t);
        } else withinPeriod++;
        continue;
      }
      const key: EdgeKey = { scope, protocol: obs.protocol, source: obs.source, dest: obs.dest };
      misses.push({ id: edgeId(key), key, timeMs: t, obs });
    }
    if (hits > 0) this.telemetry.cacheLookups.add(hits, { result: 'hit' });
    if (written > 0) this.telemetry.lastSeenRefreshes.add(written, { result: 'written' });
    if (withinPeriod > 0) this.telemetry.lastSeenRefreshes.add(withinPeriod, { result: 'within_period' });
    if (misses.length === 0) return { points: batch.length, newEdges: 0, alerts: 0 };
    this.telemetry.cacheLookups.add(misses.length, { result: 'miss' });
    return this.decide(misses, batch.length, now);
  }

  private async decide(misses: TimedPoint[], points: number, now: number): Promise<DetectResult> {
    const askedAt = this.fence.begin();
    const { baselineWindowMs, detectionWindowMs } = this.opts;
    const appearances = groupAppearances(misses, baselineWindowMs);
    const earliest = new Map<string, number>();
    for (const a of appearances) {
      const cur = earliest.get(a.key.scope);
      if (cur === undefined || a.firstMs < cur) earliest.set(a.key.scope, a.firstMs);
    }
    // Alert context: the per-workload index as it was before this batch, read (and the batch
    // recorded in it) before the filter rules, which may match kind and severity.
    const [facts] = await Promise.all([this.store.indexEdges(appearances), this.learning.note(earliest)]);
    const assessed = appearances.map((a, i) => assess(facts[i], a.first, a.firstMs, this.context));

    const reasons: Array<SuppressReason | null> = [];
    const draftCtx: DraftContext = { baselineWindowMs, detectionWindowMs, nowMs: now, externalUrl: this.opts.externalUrl };
    const sightings: Sighting[] = appearances.map((a, i) => {
      const reason = this.suppressReason(a, now, assessed[i]);
      reasons.push(reason);
      const s: Sighting = { key: a.key, firstMs: a.firstMs, lastMs: a.lastMs };
      // Lazy: the store builds the draft only for an alert it enqueues (or parks undecided).
      if (reason === null) s.alert = lazyAlertDraft(a.key, a.first, a.firstMs, draftCtx, assessed[i]);
      return s;
    });
    const outcomes = await this.store.observe(sightings, baselineWindowMs, this.storm);

    let newEdges = 0;
    let alerts = 0;
    outcomes.forEach((o, i) => {
      const a = appearances[i];
      // Not an answer that predates a forget applied meanwhile (forget-fence.ts).
      if (!this.fence.stale(a.key, askedAt)) this.cache.raise(a.key, o.lastSeenMs);
      if (!o.isNew) return;
      newEdges++;
      this.telemetry.edgesNew.add(1, { protocol: a.key.protocol });
      if (o.alerted) {
        alerts++;
        return;
      }
      const reason = o.heldBack === true ? 'storm' : reasons[i];
      this.telemetry.alertsSuppressed.add(1, { reason: reason ?? 'duplicate' });
      if (reason !== null) for (const l of this.suppressedListeners) l(reason, a.first, assessed[i]);
    });
    if (alerts > 0) {
      this.telemetry.alertsEnqueued.add(alerts);
      for (const l of this.listeners) l();
    }
    return { points, newEdges, alerts };
  }

  /** Rule 1: a missing time, or one beyond the allowed skew in the future, becomes the receive time. */
  private effectiveTime(t: number, now: number): number {
    if (t <= 0) {
      this.telemetry.pointsRetimed.add(1, { reason: 'missing' });
      return now;
    }
    if (t > now + this.opts.clockSkewMs) {
      this.telemetry.pointsRetimed.add(1, { reason: 'future' });
      return now;
    }
    return t;
  }

  /** Rules 3 and 4: late data, learning period and filter rules hold an alert back. */
  private suppressReason(a: Appearance, now: number, assessed: Assessment): SuppressReason | null {
    if (a.firstMs < now - this.opts.detectionWindowMs) return 'late';
    if (this.learning.learning(a.key.scope, a.firstMs)) return 'learning';
    if (this.filter(a.first, assessed)) return 'filtered';
    return null;
  }

  /**
   * Drop a forgotten edge from the cache and the pending refreshes (the admin API's forget, and
   * each edge of the forget log), and keep store answers about it that predate the forget out of
   * the cache: its next point asks the store, which finds it new.
   */
  forget(key: EdgeKey): void {
    this.cache.delete(key);
    this.refreshes.delete(this.cache.hash(key.scope, key.protocol, key.source, key.dest));
    this.fence.forget(key);
  }

  /**
   * Flush timer and shutdown: apply the forgets any process logged in the store since the last
   * flush (one store read per flush, none per point), then write batched refreshes. So a forget
   * on any replica or by the CLI reaches this one within one flush_interval.
   */
  async flush(): Promise<void> {
    // Nothing cached and no position yet: nothing to drop, and no store call while it is down.
    if (this.forgetCursor !== null || this.cache.size > 0) await this.syncForgets();
    await this.refreshes.flush();
  }

  /** After a start: refill the cache from the store, most recent edges first, in the background (cache-warmer.ts). */
  warmCache(opts: Omit<WarmOptions, 'sinceMs'> = {}): Promise<WarmResult> {
    const target = { store: this.store, cache: this.cache, fence: this.fence, syncForgets: () => this.syncForgets() };
    return warmCache(target, { sinceMs: this.now() - this.opts.baselineWindowMs, ...opts });
  }

  /** Read the store's forget log since the last read and drop what it names; concurrent calls share one read. */
  syncForgets(): Promise<void> {
    this.syncing ??= this.applyForgetLog().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async applyForgetLog(): Promise<void> {
    const page = await this.store.forgottenSince(this.forgetCursor);
    if (this.forgetCursor === null || page.truncated) {
      // No position yet, or forgets were trimmed before this replica read them: any cached edge
      // may be forgotten. Dropping them all is safe (each costs one store lookup).
      if (this.cache.size > 0) this.telemetry.forgetsApplied.add(1, { kind: 'all' });
      this.cache.clear();
      this.fence.clear();
    }
    for (const key of page.keys) this.forget(key);
    if (page.keys.length > 0) this.telemetry.forgetsApplied.add(page.keys.length, { kind: 'edge' });
    this.forgetCursor = page.cursor;
  }
}

/** Whether two times fall in one period of length `res` whose boundaries sit at `phase` (mod res). */
export function samePeriod(a: number, b: number, phase: number, res: number): boolean {
  return Math.floor((a + phase) / res) === Math.floor((b + phase) / res);
}

/**
 * The resolution in force: never more than 1/1000 of the baseline window, so the store's lag
 * (< one period) is at most 0.1 % of the window whatever the two settings.
 */
export function lastSeenResolution(configuredMs: number, baselineWindowMs: number): number {
  if (!(configuredMs > 0)) return 0;
  return Math.max(0, Math.min(configuredMs, Math.floor(baselineWindowMs / 1000)));
}
