import { edgeId, GLOBAL_SCOPE, type EdgeKey } from '../core/edge';
import type { Observation } from '../core/observation';
import type { Stage } from '../core/stage';
import type { BaselineStore, ObserveOutcome, Sighting } from '../store/store';
import type { Telemetry } from '../telemetry/metrics';
import { observeWithBudget, type AlertBudget } from './alert-budget';
import { buildAlertDraft } from './alert-draft';
import { groupAppearances, type Appearance, type TimedPoint } from './appearances';
import { EdgeCache } from './edge-cache';
import { LearningPeriod } from './learning';
import { RefreshBuffer } from './refresh-buffer';

export interface DetectorOptions {
  baselineWindowMs: number;
  detectionWindowMs: number;
  learningPeriodMs: number;
  clockSkewMs: number;
  baselineScope: 'cluster' | 'global';
  cacheMaxEdges: number;
  /** Milliseconds since the epoch; injectable so tests pin every boundary. */
  now?: () => number;
}

/** Why a new edge raised no alert (label of edgewatch_alerts_suppressed_total). */
export type SuppressReason = 'late' | 'learning' | 'filtered' | 'storm';

/** Decides per alert candidate whether a filter rule drops it (filter rules plug in here). */
export type AlertFilter = (obs: Observation) => boolean;

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
  private readonly suppressedListeners: Array<(reason: SuppressReason, obs: Observation) => void> = [];
  /** The storm guard; null: no cap. */
  private budget: AlertBudget | null = null;

  constructor(
    private readonly store: BaselineStore,
    private readonly opts: DetectorOptions,
    private readonly telemetry: Telemetry,
  ) {
    this.cache = new EdgeCache(opts.cacheMaxEdges);
    this.refreshes = new RefreshBuffer(store);
    this.learning = new LearningPeriod(store, opts.learningPeriodMs);
    this.now = opts.now ?? Date.now;
  }

  setFilter(filter: AlertFilter): void {
    this.filter = filter;
  }

  /** Caps alerts per cluster (the storm guard); null removes the cap. */
  setBudget(budget: AlertBudget | null): void {
    this.budget = budget;
  }

  /** Called for each new edge that raised no alert, with the reason (filter rule metrics count these). */
  onSuppressed(listener: (reason: SuppressReason, obs: Observation) => void): void {
    this.suppressedListeners.push(listener);
  }

  /** Called after a batch enqueued alerts (the dispatcher delivers at once instead of polling). */
  onAlerts(listener: () => void): void {
    this.listeners.push(listener);
  }

  async consume(batch: Observation[]): Promise<DetectResult> {
    const now = this.now();
    const windowMs = this.opts.baselineWindowMs;
    const global = this.opts.baselineScope === 'global';
    const misses: TimedPoint[] = [];
    let hits = 0;
    for (const obs of batch) {
      const t = this.effectiveTime(obs.timeMs, now);
      const scope = global ? GLOBAL_SCOPE : obs.cluster;
      // The per-point path: one hash of the key's parts, no key object, no string built.
      const h = this.cache.hash(scope, obs.protocol, obs.source, obs.dest);
      // Known iff some observation lies in [t − window, t) or later: the store holds last-seen ≥ cached.
      const cached = this.cache.knownHash(h, t, t - windowMs);
      if (cached >= 0) {
        hits++;
        if (t > cached) this.refreshes.add(h, scope, obs.protocol, obs.source, obs.dest, t);
        continue;
      }
      const key: EdgeKey = { scope, protocol: obs.protocol, source: obs.source, dest: obs.dest };
      misses.push({ id: edgeId(key), key, timeMs: t, obs });
    }
    if (hits > 0) this.telemetry.cacheLookups.add(hits, { result: 'hit' });
    if (misses.length === 0) return { points: batch.length, newEdges: 0, alerts: 0 };
    this.telemetry.cacheLookups.add(misses.length, { result: 'miss' });
    return this.decide(misses, batch.length, now);
  }

  private async decide(misses: TimedPoint[], points: number, now: number): Promise<DetectResult> {
    const { baselineWindowMs, detectionWindowMs } = this.opts;
    const appearances = groupAppearances(misses, baselineWindowMs);
    const earliest = new Map<string, number>();
    for (const a of appearances) {
      const cur = earliest.get(a.key.scope);
      if (cur === undefined || a.firstMs < cur) earliest.set(a.key.scope, a.firstMs);
    }
    await this.learning.note(earliest);

    const reasons: Array<SuppressReason | null> = [];
    const sightings: Sighting[] = appearances.map((a) => {
      const reason = this.suppressReason(a, now);
      reasons.push(reason);
      const s: Sighting = { key: a.key, firstMs: a.firstMs, lastMs: a.lastMs };
      if (reason === null) s.alert = buildAlertDraft(a.key, a.first, a.firstMs, { baselineWindowMs, detectionWindowMs, nowMs: now });
      return s;
    });
    const observe = (batch: Sighting[]): Promise<ObserveOutcome[]> => this.store.observe(batch, baselineWindowMs);
    const clusters = appearances.map((a) => a.first.cluster);
    const { outcomes, heldBack } = await observeWithBudget(this.budget, sightings, clusters, observe, now);

    let newEdges = 0;
    let alerts = 0;
    outcomes.forEach((o, i) => {
      const a = appearances[i];
      this.cache.raise(a.key, o.lastSeenMs);
      if (!o.isNew) return;
      newEdges++;
      this.telemetry.edgesNew.add(1, { protocol: a.key.protocol });
      if (o.alerted) {
        alerts++;
        return;
      }
      const reason = heldBack[i] ? 'storm' : reasons[i];
      this.telemetry.alertsSuppressed.add(1, { reason: reason ?? 'duplicate' });
      if (reason !== null) for (const l of this.suppressedListeners) l(reason, a.first);
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
  private suppressReason(a: Appearance, now: number): SuppressReason | null {
    if (a.firstMs < now - this.opts.detectionWindowMs) return 'late';
    if (this.learning.learning(a.key.scope, a.firstMs)) return 'learning';
    if (this.filter(a.first)) return 'filtered';
    return null;
  }

  /**
   * Drop an edge from the cache and from the pending refreshes, before the store forgets it:
   * otherwise the next flush would write it back.
   */
  forget(key: EdgeKey): void {
    this.cache.delete(key);
    this.refreshes.delete(this.cache.hash(key.scope, key.protocol, key.source, key.dest));
  }

  /** Write batched refreshes now (flush timer and shutdown). */
  flush(): Promise<void> {
    return this.refreshes.flush();
  }
}
