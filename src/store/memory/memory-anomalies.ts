import type { TrafficAnomaly } from '../../core/traffic';
import type { TrafficFiring, TrafficRule } from '../store';
import { byBucketThenMetric, checkTrafficRule, firesAt, groupByKey, windowFloor } from '../traffic-ledger';

interface Ledger {
  /** Latest bucketMs ever recorded for the key (t of store.ts). */
  latestMs: number;
  lastFiredMs: number | null;
  /** By `<bucketMs>|<metric>`: the first recording wins (idempotent). */
  anomalies: Map<string, TrafficAnomaly>;
}

/**
 * The traffic-anomaly ledgers of MemoryStore: per key, the anomalies of the last window and the
 * last firing. Runs synchronously inside the store's call, so the count and the firing are one step.
 */
export class MemoryAnomalies {
  private readonly ledgers = new Map<string, Ledger>();

  record(anomalies: readonly TrafficAnomaly[], rule: TrafficRule): TrafficFiring[] {
    checkTrafficRule(rule);
    const firings: TrafficFiring[] = [];
    for (const [key, list] of groupByKey(anomalies)) {
      let l = this.ledgers.get(key);
      if (!l) this.ledgers.set(key, (l = { latestMs: -Infinity, lastFiredMs: null, anomalies: new Map() }));
      for (const a of list) {
        const id = `${a.bucketMs}|${a.metric}`;
        if (!l.anomalies.has(id)) l.anomalies.set(id, { ...a });
        if (a.bucketMs > l.latestMs) l.latestMs = a.bucketMs;
      }
      const t = l.latestMs;
      const floor = windowFloor(t, rule);
      for (const [id, a] of l.anomalies) if (a.bucketMs <= floor) l.anomalies.delete(id);
      if (!firesAt(t, l.anomalies.size, l.lastFiredMs, rule)) continue;
      l.lastFiredMs = t;
      firings.push({ key, firedMs: t, anomalies: [...l.anomalies.values()].map((a) => ({ ...a })).sort(byBucketThenMetric) });
    }
    return firings;
  }

  /** Drops ledgers whose latest bucket and last firing are both before `beforeMs`. */
  prune(beforeMs: number): void {
    for (const [key, l] of this.ledgers) {
      if (l.latestMs < beforeMs && (l.lastFiredMs === null || l.lastFiredMs < beforeMs)) this.ledgers.delete(key);
    }
  }
}
