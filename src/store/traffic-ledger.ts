import type { TrafficAnomaly } from '../core/traffic';
import type { TrafficRule } from './store';

/**
 * The firing rule of recordTrafficAnomalies (store.ts), shared by the stores that decide in
 * TypeScript (memory, SQLite; Redis has the same in lua/traffic-anomalies.lua).
 * Fires at `t` when more than `minCount` anomalies are in (t − windowMs, t] and the last firing
 * is at or before t − cooldownMs and before t (one firing per t, whatever the cooldown).
 */
export function firesAt(t: number, inWindow: number, lastFiredMs: number | null, rule: TrafficRule): boolean {
  if (inWindow <= rule.minCount) return false;
  return lastFiredMs === null || (lastFiredMs <= t - rule.cooldownMs && lastFiredMs < t);
}

/** Lower bound (exclusive) of the window ending at `t`: anomalies with bucketMs ≤ this are out. */
export function windowFloor(t: number, rule: TrafficRule): number {
  return t - rule.windowMs;
}

/** Oldest first, then by metric (TrafficFiring.anomalies). */
export function byBucketThenMetric(a: TrafficAnomaly, b: TrafficAnomaly): number {
  return a.bucketMs - b.bucketMs || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0);
}

/** The anomalies of one call grouped by key, keys in order of first appearance. */
export function groupByKey(anomalies: readonly TrafficAnomaly[]): Map<string, TrafficAnomaly[]> {
  const out = new Map<string, TrafficAnomaly[]>();
  for (const a of anomalies) {
    const list = out.get(a.key);
    if (list) list.push(a);
    else out.set(a.key, [a]);
  }
  return out;
}

/** Rejects a rule the stores cannot apply (a window of 0 would trim the latest bucket itself). */
export function checkTrafficRule(rule: TrafficRule): void {
  if (!(rule.windowMs > 0) || !(rule.minCount >= 0) || !(rule.cooldownMs >= 0)) {
    throw new RangeError(`traffic rule needs windowMs > 0, minCount ≥ 0, cooldownMs ≥ 0; got ${JSON.stringify(rule)}`);
  }
}
