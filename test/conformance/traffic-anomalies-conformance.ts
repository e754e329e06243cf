import { trafficKeyId, type TrafficAnomaly } from '../../src/core/traffic';
import type { BaselineStore, TrafficFiring, TrafficRule } from '../../src/store/store';
import type { FeatureSuite } from './feature-suites';
import { T0 } from './store-conformance';

const HOUR = 3_600_000;
const BUCKET = 10_000;
/** The Splunk search's rule: more than 5 anomalies in the hour, one firing per hour. */
const RULE: TrafficRule = { windowMs: HOUR, minCount: 5, cooldownMs: HOUR };

export const EDGE = trafficKeyId({ detection: 'edge_traffic', scope: 'prod-eu', a: 'frontend', b: 'payments' });
export const PROCESS = trafficKeyId({ detection: 'process_outbound', scope: 'prod-eu', a: 'frontend', b: 'curl' });

/** An anomaly of `key` in the bucket `i` buckets after T0 (values with fractions, to check they round-trip). */
export function anomaly(key: string, i: number, metric = 'tcp.bytes', value = 1000 + i + 0.25): TrafficAnomaly {
  const mean = 100 / 3;
  const stdev = 12.5;
  return { key, metric, bucketMs: T0 + i * BUCKET, value, mean, stdev, z: (value - mean) / stdev };
}

/** Anomalies of `key` in buckets from..to-1, one metric. */
export function run(key: string, from: number, to: number, metric = 'tcp.bytes'): TrafficAnomaly[] {
  return Array.from({ length: to - from }, (_, j) => anomaly(key, from + j, metric));
}

/**
 * The traffic-anomaly ledger (recordTrafficAnomalies, README "Anomalous traffic"): idempotent per
 * (key, metric, bucket), a key fires when more than minCount of its anomalies are in the window
 * ending at its latest bucket, at most once per cooldown, the count and the firing atomic.
 */
export const trafficAnomaliesConformance: FeatureSuite = (current) => {
  describe('traffic anomaly ledger (recordTrafficAnomalies)', () => {
    let store: BaselineStore;
    beforeEach(() => {
      store = current();
    });

    it('fires only when more than minCount anomalies are in the window, with them oldest first (then by metric)', async () => {
      expect(await store.recordTrafficAnomalies(run(EDGE, 0, 5), RULE)).toEqual([]); // 5: not more than 5
      // The 6th, in the 5th's bucket with another metric: recorded last, returned before it (tcp.active < tcp.bytes).
      const sixth = anomaly(EDGE, 4, 'tcp.active', 3.125);
      const [f, ...rest] = await store.recordTrafficAnomalies([sixth], RULE);
      expect(rest).toEqual([]);
      expect(f).toEqual<TrafficFiring>({ key: EDGE, firedMs: T0 + 4 * BUCKET, anomalies: [...run(EDGE, 0, 4), sixth, anomaly(EDGE, 4)] });
    });

    it('is idempotent per (key, metric, bucket): re-recording counts nothing twice and keeps the first values', async () => {
      const five = run(EDGE, 0, 5);
      expect(await store.recordTrafficAnomalies([...five, ...five], RULE)).toEqual([]);
      expect(await store.recordTrafficAnomalies(five, RULE)).toEqual([]);
      // A replay with other values (another replica's rounding) is the same anomaly.
      expect(await store.recordTrafficAnomalies([anomaly(EDGE, 2, 'tcp.bytes', 99_999)], RULE)).toEqual([]);
      const [f] = await store.recordTrafficAnomalies([anomaly(EDGE, 5)], RULE);
      expect(f.anomalies).toEqual(run(EDGE, 0, 6));
      // The same anomalies again: no second firing of the same moment.
      expect(await store.recordTrafficAnomalies(run(EDGE, 0, 6), RULE)).toEqual([]);
      expect(await store.recordTrafficAnomalies(run(EDGE, 0, 6), { ...RULE, cooldownMs: 0 })).toEqual([]);
    });

    it('fires at most once per cooldown, and again once it is over', async () => {
      const [first] = await store.recordTrafficAnomalies(run(EDGE, 0, 6), RULE);
      expect(first.firedMs).toBe(T0 + 5 * BUCKET);
      // More anomalies within the cooldown: counted, no firing.
      expect(await store.recordTrafficAnomalies(run(EDGE, 6, 12), RULE)).toEqual([]);
      // One cooldown after the first firing: the window (t − 1 h, t] holds buckets 6..11 and the new one.
      const t = T0 + 5 * BUCKET + HOUR;
      const last = { ...anomaly(EDGE, 0), bucketMs: t };
      const [again, ...rest] = await store.recordTrafficAnomalies([last], RULE);
      expect(rest).toEqual([]);
      expect(again).toEqual({ key: EDGE, firedMs: t, anomalies: [...run(EDGE, 6, 12), last] });
      // A shorter cooldown counts from the latest firing.
      expect(await store.recordTrafficAnomalies([{ ...last, bucketMs: t + BUCKET }], { ...RULE, cooldownMs: 2 * BUCKET })).toEqual([]);
      const [third] = await store.recordTrafficAnomalies([{ ...last, bucketMs: t + 2 * BUCKET }], { ...RULE, cooldownMs: 2 * BUCKET });
      expect(third.firedMs).toBe(t + 2 * BUCKET);
    });

    it('counts and returns only anomalies in (t − window, t], t the latest bucket: older and late ones are out', async () => {
      const h = HOUR / BUCKET; // bucket h is one window after bucket 0
      expect(await store.recordTrafficAnomalies(run(EDGE, 0, 5), RULE)).toEqual([]);
      // t = bucket h: bucket 0 is at t − window, out; 1..4 and h make 5.
      expect(await store.recordTrafficAnomalies([anomaly(EDGE, h)], RULE)).toEqual([]);
      // A late anomaly as old as the window's start is not counted either.
      expect(await store.recordTrafficAnomalies([anomaly(EDGE, 0, 'udp.bytes')], RULE)).toEqual([]);
      // t = bucket h+3: 0..3 out, 4 and h..h+3 in: 5.
      expect(await store.recordTrafficAnomalies(run(EDGE, h + 1, h + 4), RULE)).toEqual([]);
      const late = anomaly(EDGE, h + 3, 'udp.bytes');
      const [f] = await store.recordTrafficAnomalies([late], RULE);
      expect(f.firedMs).toBe(T0 + (h + 3) * BUCKET);
      expect(f.anomalies).toEqual([anomaly(EDGE, 4), ...run(EDGE, h, h + 4), late]);
    });

    it('keeps keys apart; one call may fire several', async () => {
      const firings = await store.recordTrafficAnomalies([...run(EDGE, 0, 6), ...run(PROCESS, 0, 5), ...run(PROCESS, 100, 106)], RULE);
      expect(firings.map((f) => [f.key, f.firedMs, f.anomalies.length]).sort()).toEqual(
        [
          [EDGE, T0 + 5 * BUCKET, 6],
          [PROCESS, T0 + 105 * BUCKET, 11],
        ].sort(),
      );
      for (const f of firings) expect(f.anomalies.every((a) => a.key === f.key)).toBe(true);
      expect(await store.recordTrafficAnomalies([], RULE)).toEqual([]);
    });

    it('concurrent callers recording the same anomalies: exactly one gets the firing', async () => {
      const batch = [...run(EDGE, 0, 8), ...run(PROCESS, 0, 8, 'udp.bytes')];
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => store.recordTrafficAnomalies(i % 2 ? batch : [...batch].reverse(), RULE)));
      const firings = results.flat();
      expect(firings.map((f) => f.key).sort()).toEqual([EDGE, PROCESS].sort());
      for (const f of firings) expect(f.anomalies).toHaveLength(8);
    });

    it('prune drops a ledger whose latest bucket and firing are before the cut, and only such', async () => {
      await store.recordTrafficAnomalies(run(EDGE, 0, 6), RULE); // fired at bucket 5
      await store.recordTrafficAnomalies(run(PROCESS, 0, 6), RULE);
      await store.recordTrafficAnomalies(run(PROCESS, 6, 7), RULE); // latest bucket 6, fired at 5
      await store.prune(T0 + 6 * BUCKET); // EDGE's all before; PROCESS's latest bucket is not
      // EDGE starts afresh: the same anomalies fire again. PROCESS is still in its cooldown.
      expect((await store.recordTrafficAnomalies(run(EDGE, 0, 6), RULE)).map((f) => f.firedMs)).toEqual([T0 + 5 * BUCKET]);
      expect(await store.recordTrafficAnomalies(run(PROCESS, 0, 7), RULE)).toEqual([]);
      expect(await store.recordTrafficAnomalies([anomaly(PROCESS, 7)], RULE)).toEqual([]);
      await store.prune(T0 + 8 * BUCKET);
      expect(await store.recordTrafficAnomalies(run(PROCESS, 0, 6), RULE)).toHaveLength(1);
    });

    it('rejects a rule with no window', async () => {
      await expect(store.recordTrafficAnomalies(run(EDGE, 0, 6), { ...RULE, windowMs: 0 })).rejects.toThrow(RangeError);
    });
  });
};
