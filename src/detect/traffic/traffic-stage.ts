import type { AlertDraft } from '../../core/alert';
import type { Observation } from '../../core/observation';
import type { Stage } from '../../core/stage';
import { trafficKeyId, type TrafficAnomaly, type TrafficDetection, type TrafficSample } from '../../core/traffic';
import type { BaselineStore, TrafficRule } from '../../store/store';
import type { StormPolicy } from '../../store/storm';
import type { Logger } from '../../telemetry/logger';
import type { Telemetry } from '../../telemetry/metrics';
import { alertObservation } from './alert-observation';
import { buildTrafficAlert, type TrafficAttrNames } from './traffic-alert';
import { evaluateBuckets, lookupBaselines, type SkipReason } from './traffic-evaluate';
import { effectivePointTime, trafficKeys } from './traffic-keys';
import type { VerdictParams } from './traffic-stats';
import { TrafficTable, type ClosedBucket, type KeyState } from './traffic-table';

export interface TrafficStageOptions extends TrafficAttrNames {
  /** The traffic detections that are on (never empty when a stage is built). */
  detections: readonly TrafficDetection[];
  baselineScope: 'cluster' | 'global';
  baselineWindowMs: number;
  detectionWindowMs: number;
  clockSkewMs: number;
  trafficMinBaselinePoints: number;
  trafficAnomalySigma: number;
  trafficMinAnomalies: number;
  trafficStdevFloorRatio: number;
  trafficMaxKeys: number;
  /** A bucket closes this long after its end (on the watermark). Default 10 s. */
  graceMs?: number;
  /** A key without a point for longer leaves memory (its baseline stays in the store). Default 2 h. */
  idleMs?: number;
  now?: () => number;
}

/** Drops an alert when a filter rule matches its stand-in observation (alert-observation.ts). */
export type TrafficAlertFilter = (obs: Observation) => boolean;

export interface TrafficResult {
  samples: number;
  /** Key additions refused because traffic_max_keys were held. */
  refused: number;
}

/** What one flush did (tests, logs). */
export interface TrafficFlushResult {
  /** Deltas written (key, hour, metric). */
  deltas: number;
  /** Buckets closed, judged or not. */
  closed: number;
  /** (Bucket, metric) pairs judged, anomalous or not. */
  judged: number;
  skipped: Partial<Record<SkipReason, number>>;
  anomalies: number;
  firings: number;
  enqueued: number;
  /** Alerts a filter rule dropped, or the storm guard held back. */
  filtered: number;
  held: number;
}

/** The firing rule of README "Anomalous traffic": more than N anomalies within an hour, one firing per hour. */
const HOUR_MS = 3_600_000;
/** Work a failing store leaves for the next flush is bounded by these (oldest dropped first, logged). */
const MAX_PENDING_ANOMALIES = 100_000;
const MAX_PENDING_ALERTS = 10_000;

/** δ per hour: exp(−1 / (baseline window in hours / 2)); a 30-day window gives a 15-day time constant. */
export function decayPerHour(baselineWindowMs: number): number {
  return Math.exp(-1 / (baselineWindowMs / HOUR_MS / 2));
}

/**
 * The detect stage of the traffic-anomaly detections (README "Anomalous traffic"). `consume`
 * only aggregates in memory (TrafficTable); `flush` (the flush timer, and shutdown) does the
 * store work in a few batched calls: the points' moments (one addTrafficMoments), the baselines
 * of keys whose buckets closed (one readTrafficBaselines per clock hour, cached per key and
 * hour), the anomalies (one recordTrafficAnomalies, which decides firings across replicas), and
 * one alert per firing through the filter rules and the storm guard into the outbox. A failed
 * step keeps its work for the next flush; every store step is idempotent or additive.
 */
export class TrafficStage implements Stage<TrafficSample[], TrafficResult> {
  readonly table: TrafficTable;
  private readonly now: () => number;
  private readonly global: boolean;
  private readonly decay: number;
  private readonly params: VerdictParams;
  private readonly rule: TrafficRule;
  private readonly graceMs: number;
  private readonly idleMs: number;
  private filter: TrafficAlertFilter = () => false;
  private storm: StormPolicy | undefined;
  private readonly listeners: Array<() => void> = [];
  private pendingEval: ClosedBucket[] = [];
  private pendingAnomalies: TrafficAnomaly[] = [];
  private pendingAlerts: AlertDraft[] = [];
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: BaselineStore,
    private readonly opts: TrafficStageOptions,
    private readonly telemetry: Telemetry,
    private readonly logger: Logger,
  ) {
    this.table = new TrafficTable(opts.trafficMaxKeys);
    this.now = opts.now ?? Date.now;
    this.global = opts.baselineScope === 'global';
    this.decay = decayPerHour(opts.baselineWindowMs);
    this.params = { sigma: opts.trafficAnomalySigma, stdevFloorRatio: opts.trafficStdevFloorRatio, minBaselinePoints: opts.trafficMinBaselinePoints };
    this.rule = { windowMs: HOUR_MS, minCount: opts.trafficMinAnomalies, cooldownMs: HOUR_MS };
    this.graceMs = opts.graceMs ?? 10_000;
    this.idleMs = opts.idleMs ?? 2 * HOUR_MS;
  }

  setFilter(filter: TrafficAlertFilter): void {
    this.filter = filter;
  }

  /** The storm guard's cap (shared with new-edge alerts); null removes it. */
  setStormPolicy(policy: StormPolicy | null): void {
    this.storm = policy ?? undefined;
  }

  /** Called after a flush enqueued alerts (the dispatcher delivers at once). */
  onAlerts(listener: () => void): void {
    this.listeners.push(listener);
  }

  async consume(batch: TrafficSample[]): Promise<TrafficResult> {
    const now = this.now();
    const evalFromMs = now - this.opts.detectionWindowMs;
    let refused = 0;
    // The reducer sends one edge's metrics in a run of consecutive points (and the decoder reuses
    // their attribute strings), so the keys of a run are resolved once, not per point.
    let last: TrafficSample | undefined;
    let states: Array<KeyState | undefined> = [];
    for (const s of batch) {
      const t = effectivePointTime(s.timeMs, now, this.opts.clockSkewMs);
      if (last === undefined || !sameKeys(last, s)) {
        states = trafficKeys(s, this.global, this.opts.detections).map((key) => this.table.resolve(key, trafficKeyId(key), s.cluster, now));
        last = s;
      }
      for (const st of states) {
        if (st === undefined) refused++;
        else this.table.addTo(st, s, t, now, evalFromMs);
      }
    }
    return { samples: batch.length, refused };
  }

  /**
   * Write, close, judge and alert (see the class). `final` (shutdown) closes every open bucket.
   * Flushes run one after another; rejects with the store's error after keeping the work.
   */
  flush(opts: { final?: boolean } = {}): Promise<TrafficFlushResult> {
    const run = this.chain.then(() => this.run(opts.final === true));
    this.chain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async run(final: boolean): Promise<TrafficFlushResult> {
    const now = this.now();
    const out: TrafficFlushResult = { deltas: 0, closed: 0, judged: 0, skipped: {}, anomalies: 0, firings: 0, enqueued: 0, filtered: 0, held: 0 };
    const refused = this.table.takeRefused();
    if (refused > 0) this.telemetry.trafficKeysDropped.add(refused);

    const deltas = this.table.takeDeltas();
    if (deltas.length > 0) {
      try {
        await this.store.addTrafficMoments(deltas);
      } catch (err) {
        this.table.putBack(deltas);
        throw err;
      }
      out.deltas = deltas.length;
    }

    // Watermark: the wall clock, or the newest point time up to one grace ahead of it (the
    // reducer's points of one timestamp arrive together, so a later timestamp means the bucket
    // is complete); capped so one point stamped minutes ahead cannot close buckets early.
    const watermark = Math.max(now, Math.min(this.table.maxPointMs, now + this.graceMs));
    const closed = this.pendingEval.concat(this.table.closeBuckets(final ? Infinity : watermark - this.graceMs));
    this.pendingEval = [];
    const evalFromMs = now - this.opts.detectionWindowMs;
    const live = closed.filter((c) => c.bucketMs >= evalFromMs);
    let baselines;
    try {
      baselines = await lookupBaselines(this.store, live, this.decay);
    } catch (err) {
      this.pendingEval = live;
      throw err;
    }
    const res = evaluateBuckets(closed, baselines, this.params, evalFromMs);
    Object.assign(out, { closed: closed.length, judged: res.judged, skipped: res.skipped, anomalies: res.anomalies.length });
    for (const [reason, n] of Object.entries(res.skipped)) if (n) this.telemetry.trafficVerdictsSkipped.add(n, { reason });
    for (const a of res.anomalies) this.telemetry.trafficAnomalies.add(1, { detection: a.key.slice(0, a.key.indexOf('|')) });

    const anomalies = this.pendingAnomalies.concat(res.anomalies);
    this.pendingAnomalies = [];
    if (anomalies.length > 0) {
      let firings;
      try {
        firings = await this.store.recordTrafficAnomalies(anomalies, this.rule);
      } catch (err) {
        this.pendingAnomalies = this.bounded(anomalies, MAX_PENDING_ANOMALIES, 'anomalies');
        throw err;
      }
      const ctx = { baselineWindowMs: this.opts.baselineWindowMs, detectionWindowMs: this.opts.detectionWindowMs, nowMs: now, attrs: this.opts };
      for (const f of firings) this.pendingAlerts.push(buildTrafficAlert(f, this.table.get(f.key), ctx));
      out.firings = firings.length;
    }
    await this.sendAlerts(out);
    this.table.dropIdle(now - this.idleMs);
    return out;
  }

  /** Filter, then enqueue (through the storm guard when set) every pending alert; the ones the store failed stay pending. */
  private async sendAlerts(out: TrafficFlushResult): Promise<void> {
    const drafts = this.pendingAlerts;
    this.pendingAlerts = [];
    let enqueued = 0;
    let failure: unknown = null;
    for (const d of drafts) {
      if (failure !== null) {
        this.pendingAlerts.push(d);
        continue;
      }
      if (this.filter(alertObservation(d))) {
        this.telemetry.alertsSuppressed.add(1, { reason: 'filtered' });
        out.filtered++;
        continue;
      }
      try {
        const outcome = this.storm === undefined ? ((await this.store.enqueueAlert(d)) ? 'enqueued' : 'exists') : await this.store.enqueueGuarded(d, this.storm);
        if (outcome === 'enqueued') enqueued++;
        if (outcome === 'held') out.held++;
        if (outcome !== 'enqueued') this.telemetry.alertsSuppressed.add(1, { reason: outcome === 'held' ? 'storm' : 'duplicate' });
      } catch (err) {
        failure = err;
        this.pendingAlerts.push(d);
      }
    }
    this.pendingAlerts = this.bounded(this.pendingAlerts, MAX_PENDING_ALERTS, 'alerts');
    out.enqueued = enqueued;
    if (enqueued > 0) {
      this.telemetry.alertsEnqueued.add(enqueued);
      for (const l of this.listeners) l();
    }
    if (failure !== null) throw failure;
  }

  private bounded<T>(items: T[], max: number, what: string): T[] {
    if (items.length <= max) return items;
    this.logger.error({ dropped: items.length - max, what }, 'traffic detections: store unavailable for long; oldest pending work dropped');
    return items.slice(items.length - max);
  }
}

/** Two samples map to the same traffic keys (whatever the detections and scope). */
function sameKeys(a: TrafficSample, b: TrafficSample): boolean {
  return a.source === b.source && a.dest === b.dest && a.cluster === b.cluster && a.sourceProcess === b.sourceProcess && a.destProcess === b.destProcess;
}
