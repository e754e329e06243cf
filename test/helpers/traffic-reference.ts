/**
 * The traffic-anomaly searches computed exactly and offline from a key's full point series
 * (issue 15; README "Anomalous traffic"), for comparing the streaming detectors against. Free
 * of src/ on purpose: it restates the original SPL, not edgewatch's code.
 *
 *   | mstats avg(X) … where earliest=-1h by <key> span=10s                      → 10 s bucket averages of the last hour
 *   | join [ mstats avg(X) as avg_X stdev(X) as stdev_X where earliest=-30d latest=-1h by <key> ]
 *   | foreach stdev_* [ eval anomalies=if(X > avg_X + 3*stdev_X, …) ]
 *   | stats count(anomalies) as count … | where count > 5
 *
 * - Baseline: mean and standard deviation of the RAW point values of each metric with time in
 *   [now − 30 d, now − 1 h). Splunk's stdev is the sample standard deviation (n − 1), used for
 *   every metric (the original's UDP "stdev" was avg(udp.*), a bug edgewatch does not copy).
 * - Last hour: points with time in [now − 1 h, now), bucketed at floor(t / 10 s)·10 s; each
 *   bucket's value is the average of its points.
 * - A (bucket, metric) is an anomaly when the bucket's value > mean + sigma·stdev; the key fires
 *   when it has more than minCount anomalies. Counted per (bucket, metric) pair as edgewatch's
 *   contract states (in the SPL the per-bucket string; with one anomalous metric per bucket the
 *   two agree).
 * No σ floor and no minimum of baseline points: those are edgewatch's guards, not the search's.
 */

export interface RefPoint {
  /** Point time, ms since the epoch. */
  t: number;
  metric: string;
  value: number;
}

export interface RefOptions {
  /** The search's time ("now"); the last hour is [now − 1 h, now). */
  nowMs: number;
  sigma?: number;
  minCount?: number;
  baselineMs?: number;
  detectionMs?: number;
}

export interface RefStats {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1), Splunk's stdev. */
  stdev: number;
}

export interface RefAnomaly {
  metric: string;
  bucketMs: number;
  value: number;
  z: number;
}

export interface RefResult {
  baseline: Record<string, RefStats>;
  /** Oldest first, then by metric. */
  anomalies: RefAnomaly[];
  count: number;
  fires: boolean;
}

const BUCKET_MS = 10_000;

export function referenceVerdict(points: readonly RefPoint[], opts: RefOptions): RefResult {
  const sigma = opts.sigma ?? 3;
  const minCount = opts.minCount ?? 5;
  const baselineFrom = opts.nowMs - (opts.baselineMs ?? 30 * 86_400_000);
  const lastHourFrom = opts.nowMs - (opts.detectionMs ?? 3_600_000);

  // Two passes for the baseline (mean, then squared deviations): exact, no cancellation.
  const sums = new Map<string, { n: number; sum: number }>();
  for (const p of points) {
    if (p.t < baselineFrom || p.t >= lastHourFrom) continue;
    const s = sums.get(p.metric) ?? { n: 0, sum: 0 };
    s.n++;
    s.sum += p.value;
    sums.set(p.metric, s);
  }
  const dev = new Map<string, number>();
  for (const p of points) {
    if (p.t < baselineFrom || p.t >= lastHourFrom) continue;
    const s = sums.get(p.metric) as { n: number; sum: number };
    const d = p.value - s.sum / s.n;
    dev.set(p.metric, (dev.get(p.metric) ?? 0) + d * d);
  }
  const baseline: Record<string, RefStats> = {};
  for (const [metric, s] of sums) {
    baseline[metric] = { n: s.n, mean: s.sum / s.n, stdev: s.n > 1 ? Math.sqrt((dev.get(metric) ?? 0) / (s.n - 1)) : 0 };
  }

  const buckets = new Map<string, { bucketMs: number; metric: string; sum: number; count: number }>();
  for (const p of points) {
    if (p.t < lastHourFrom || p.t >= opts.nowMs) continue;
    const bucketMs = Math.floor(p.t / BUCKET_MS) * BUCKET_MS;
    const id = `${bucketMs}|${p.metric}`;
    const b = buckets.get(id) ?? { bucketMs, metric: p.metric, sum: 0, count: 0 };
    b.sum += p.value;
    b.count++;
    buckets.set(id, b);
  }
  const anomalies: RefAnomaly[] = [];
  for (const b of buckets.values()) {
    const base = baseline[b.metric];
    // A left join: a bucket whose key has no baseline for the metric compares against null, never true.
    if (base === undefined) continue;
    const value = b.sum / b.count;
    if (value > base.mean + sigma * base.stdev) anomalies.push({ metric: b.metric, bucketMs: b.bucketMs, value, z: (value - base.mean) / base.stdev });
  }
  anomalies.sort((x, y) => x.bucketMs - y.bucketMs || (x.metric < y.metric ? -1 : x.metric > y.metric ? 1 : 0));
  return { baseline, anomalies, count: anomalies.length, fires: anomalies.length > minCount };
}
