import type { Moments, TrafficAnomaly } from '../../core/traffic';
import type { BaselineStore } from '../../store/store';
import { HOUR_MS } from '../../store/traffic-state';
import type { ClosedBucket } from './traffic-table';
import { anomalyOf, judge, type VerdictParams } from './traffic-stats';

/** Why a (bucket, metric) got no verdict: label of edgewatch_traffic_verdicts_skipped_total. */
export type SkipReason = 'min_points' | 'late';

/** Baselines of the closed buckets' keys, by `<hour>|<key id>`; null: the store had none. */
export type BaselineMap = Map<string, Record<string, Moments> | null>;

const slot = (hour: number, id: string): string => `${hour}|${id}`;

/**
 * The baseline of each closed bucket's key at the bucket's clock hour: from the key's cache
 * when it holds that hour, else one readTrafficBaselines per hour for all keys missing it
 * (oldest hour first: the store folds what it answers, so a read after a later one may include
 * more). The key's cache then holds the newest hour read. Rejects when the store does.
 */
export async function lookupBaselines(store: BaselineStore, closed: readonly ClosedBucket[], decayPerHour: number): Promise<BaselineMap> {
  const out: BaselineMap = new Map();
  const missing = new Map<number, Set<string>>();
  for (const c of closed) {
    const hour = Math.floor(c.bucketMs / HOUR_MS);
    const cached = c.state.baseline;
    if (cached !== null && cached.hour === hour) out.set(slot(hour, c.state.id), cached.metrics);
    else if (!out.has(slot(hour, c.state.id))) {
      let ids = missing.get(hour);
      if (ids === undefined) missing.set(hour, (ids = new Set()));
      ids.add(c.state.id);
    }
  }
  for (const hour of [...missing.keys()].sort((a, b) => a - b)) {
    const ids = [...(missing.get(hour) as Set<string>)];
    const found = new Map((await store.readTrafficBaselines(ids, hour, decayPerHour)).map((b) => [b.key, b.metrics]));
    for (const id of ids) out.set(slot(hour, id), found.get(id) ?? null);
  }
  // Caches after every read succeeded, so a failed flush leaves them as they were.
  for (const c of closed) {
    const hour = Math.floor(c.bucketMs / HOUR_MS);
    const b = c.state.baseline;
    if (b === null || b.hour < hour) c.state.baseline = { hour, metrics: out.get(slot(hour, c.state.id)) ?? null };
  }
  return out;
}

export interface EvaluateResult {
  anomalies: TrafficAnomaly[];
  skipped: Partial<Record<SkipReason, number>>;
  /** Verdicts given, anomalous or not. */
  judged: number;
}

/**
 * Judge every (closed bucket, metric): the bucket's average against the key's baseline at the
 * bucket's hour. Buckets starting before `evalFromMs` (now − detection window) only fed the
 * baseline: skipped as `late`, like late points of the new-edge rules.
 */
export function evaluateBuckets(closed: readonly ClosedBucket[], baselines: BaselineMap, params: VerdictParams, evalFromMs: number): EvaluateResult {
  const res: EvaluateResult = { anomalies: [], skipped: {}, judged: 0 };
  const skip = (reason: SkipReason, n: number): void => {
    res.skipped[reason] = (res.skipped[reason] ?? 0) + n;
  };
  for (const c of closed) {
    if (c.bucketMs < evalFromMs) {
      skip('late', c.metrics.size);
      continue;
    }
    const metrics = baselines.get(slot(Math.floor(c.bucketMs / HOUR_MS), c.state.id)) ?? null;
    for (const [metric, acc] of c.metrics) {
      const average = acc.sum / acc.count;
      const v = judge(average, metrics !== null && Object.hasOwn(metrics, metric) ? metrics[metric] : undefined, params);
      if (v.kind === 'min_points') {
        skip('min_points', 1);
        continue;
      }
      res.judged++;
      if (v.kind === 'anomaly') res.anomalies.push(anomalyOf(c.state.id, metric, c.bucketMs, average, v));
    }
  }
  return res;
}
