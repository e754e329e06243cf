import { GLOBAL_SCOPE } from '../../core/edge';
import type { TrafficDetection, TrafficKey, TrafficSample } from '../../core/traffic';

/**
 * The TrafficKey of each enabled detection for one sample (core/traffic.ts TrafficKey): scope is
 * the cluster, or '*' under `baseline_scope: global` (like the new-edge detector, whose history
 * then ignores the cluster, as the original searches' baselines do). A sample without a process
 * name on the relevant end yields no process key: the searches group by it, and an empty group
 * would lump every unnamed process of a workload together.
 */
export function trafficKeys(s: TrafficSample, global: boolean, detections: readonly TrafficDetection[]): TrafficKey[] {
  const scope = global ? GLOBAL_SCOPE : s.cluster;
  const out: TrafficKey[] = [];
  for (const detection of detections) {
    if (detection === 'edge_traffic') out.push({ detection, scope, a: s.source, b: s.dest });
    else if (detection === 'process_inbound') {
      if (s.destProcess !== '') out.push({ detection, scope, a: s.dest, b: s.destProcess });
    } else if (s.sourceProcess !== '') out.push({ detection, scope, a: s.source, b: s.sourceProcess });
  }
  return out;
}

/** The point time the detectors use (DESIGN rule 1): a missing time, or one beyond the skew in the future, is the receive time. */
export function effectivePointTime(timeMs: number, nowMs: number, clockSkewMs: number): number {
  if (timeMs <= 0 || timeMs > nowMs + clockSkewMs) return nowMs;
  return timeMs;
}
