import type { Moments, TrafficAnomaly } from '../../core/traffic';

/** The verdict thresholds (options traffic_anomaly_sigma, traffic_stdev_floor_ratio, traffic_min_baseline_points). */
export interface VerdictParams {
  sigma: number;
  stdevFloorRatio: number;
  minBaselinePoints: number;
}

/** The smallest σ ever used: a baseline of zeros still divides by something. */
export const STDEV_EPSILON = 1e-9;

/** Mean and (population) standard deviation of weighted moments; n must be > 0. */
export function momentStats(m: Moments): { mean: number; stdev: number } {
  const mean = m.sum / m.n;
  // sumSq/n − mean² may come out slightly negative by rounding when every value is equal.
  return { mean, stdev: Math.sqrt(Math.max(0, m.sumSq / m.n - mean * mean)) };
}

/**
 * The σ a verdict uses: max(σ, ratio·|mean|, 1e-9). Why a floor: a metric that is nearly constant
 * in the baseline (a keep-alive's bytes, `tcp.active` = 1) has σ ≈ 0, and then any wiggle — one
 * byte more — is "thousands of σ" above the mean (the original search even divides by zero). With
 * the floor an anomaly must also exceed the mean by sigma·ratio of it (15 % with the defaults).
 */
export function flooredStdev(stdev: number, mean: number, ratio: number): number {
  return Math.max(stdev, ratio * Math.abs(mean), STDEV_EPSILON);
}

export type Verdict = { kind: 'anomaly'; mean: number; stdev: number; z: number } | { kind: 'normal' } | { kind: 'min_points' };

/** One (bucket, metric): the bucket's average against the key's baseline moments of the metric. */
export function judge(average: number, baseline: Moments | undefined, p: VerdictParams): Verdict {
  // No verdict on a thin baseline: a new key's first hours would make every point an outlier.
  if (baseline === undefined || !(baseline.n >= p.minBaselinePoints) || baseline.n <= 0) return { kind: 'min_points' };
  const { mean, stdev } = momentStats(baseline);
  const s = flooredStdev(stdev, mean, p.stdevFloorRatio);
  if (!(average > mean + p.sigma * s)) return { kind: 'normal' };
  return { kind: 'anomaly', mean, stdev: s, z: (average - mean) / s };
}

/** The TrafficAnomaly of an anomalous verdict. */
export function anomalyOf(key: string, metric: string, bucketMs: number, value: number, v: Extract<Verdict, { kind: 'anomaly' }>): TrafficAnomaly {
  return { key, metric, bucketMs, value, mean: v.mean, stdev: v.stdev, z: v.z };
}
