import { trafficKeyId } from '../../../../src/core/traffic';
import { effectivePointTime, trafficKeys } from '../../../../src/detect/traffic/traffic-keys';
import { flooredStdev, judge, momentStats, STDEV_EPSILON } from '../../../../src/detect/traffic/traffic-stats';
import { decayPerHour } from '../../../../src/detect/traffic/traffic-stage';
import { bucketOf, TrafficTable } from '../../../../src/detect/traffic/traffic-table';
import { evaluateBuckets } from '../../../../src/detect/traffic/traffic-evaluate';
import { D, H, M, S, sample, T0 } from './traffic-rig';

const ALL = ['edge_traffic', 'process_inbound', 'process_outbound'] as const;

describe('traffic keys', () => {
  test('each enabled detection keys the sample by its group-by fields', () => {
    const s = sample({ sourceProcess: 'node', destProcess: 'java' });
    expect(trafficKeys(s, false, ALL)).toEqual([
      { detection: 'edge_traffic', scope: 'prod-eu', a: 'frontend', b: 'payments' },
      { detection: 'process_inbound', scope: 'prod-eu', a: 'payments', b: 'java' },
      { detection: 'process_outbound', scope: 'prod-eu', a: 'frontend', b: 'node' },
    ]);
  });
  test('an empty process name yields no process key; only enabled detections key', () => {
    expect(trafficKeys(sample({ destProcess: 'java' }), false, ALL).map((k) => k.detection)).toEqual(['edge_traffic', 'process_inbound']);
    expect(trafficKeys(sample({ sourceProcess: 'node' }), false, ['process_inbound'])).toEqual([]);
  });
  test("global scope keys by '*' whatever the cluster", () => {
    expect(trafficKeys(sample({ cluster: 'a' }), true, ['edge_traffic'])[0].scope).toBe('*');
  });
  test('point time: missing or beyond the skew is the receive time, else the point time', () => {
    expect(effectivePointTime(0, T0, 5 * M)).toBe(T0);
    expect(effectivePointTime(T0 + 5 * M + 1, T0, 5 * M)).toBe(T0);
    expect(effectivePointTime(T0 + 5 * M, T0, 5 * M)).toBe(T0 + 5 * M);
    expect(effectivePointTime(T0 - D, T0, 5 * M)).toBe(T0 - D);
  });
});

describe('verdict', () => {
  const p = { sigma: 3, stdevFloorRatio: 0.05, minBaselinePoints: 360 };
  // 400 points: mean 100, σ 10 (sumSq/n − mean² = 100).
  const base = { n: 400, sum: 400 * 100, sumSq: 400 * (100 * 100 + 100) };
  test('mean and population σ from moments', () => {
    const { mean, stdev } = momentStats(base);
    expect(mean).toBeCloseTo(100, 9);
    expect(stdev).toBeCloseTo(10, 9);
    // Rounding may make sumSq/n − mean² negative for equal values: σ is 0, not NaN.
    expect(momentStats({ n: 3, sum: 0.3, sumSq: 0.03 }).stdev).toBeGreaterThanOrEqual(0);
  });
  test('anomaly strictly above mean + 3σ, with z', () => {
    expect(judge(130, base, p)).toEqual({ kind: 'normal' });
    const v = judge(150, base, p);
    expect(v.kind).toBe('anomaly');
    if (v.kind === 'anomaly') {
      expect(v.mean).toBeCloseTo(100, 9);
      expect(v.stdev).toBeCloseTo(10, 9);
      expect(v.z).toBeCloseTo(5, 9);
    }
  });
  test('no verdict below traffic_min_baseline_points, or without a baseline', () => {
    expect(judge(1e9, { n: 359.9, sum: 359.9 * 100, sumSq: 359.9 * 10_000 }, p)).toEqual({ kind: 'min_points' });
    expect(judge(1e9, undefined, p)).toEqual({ kind: 'min_points' });
  });
  test('σ floor: a constant baseline needs more than sigma × ratio × |mean| above the mean', () => {
    const flat = { n: 1000, sum: 1000 * 200, sumSq: 1000 * 200 * 200 };
    expect(flooredStdev(0, 200, 0.05)).toBe(10);
    expect(judge(229, flat, p)).toEqual({ kind: 'normal' });
    expect(judge(231, flat, p).kind).toBe('anomaly');
    // A baseline of zeros: the epsilon keeps z finite.
    const zeros = { n: 1000, sum: 0, sumSq: 0 };
    expect(flooredStdev(0, 0, 0.05)).toBe(STDEV_EPSILON);
    const v = judge(1, zeros, p);
    expect(v.kind === 'anomaly' && Number.isFinite(v.z)).toBe(true);
  });
  test('δ: a 30-day window decays with a 15-day time constant', () => {
    expect(decayPerHour(30 * D)).toBeCloseTo(Math.exp(-1 / 360), 15);
    expect(decayPerHour(30 * D) ** 360).toBeCloseTo(Math.exp(-1), 12);
  });
});

describe('traffic table', () => {
  const key = { detection: 'edge_traffic' as const, scope: 'prod-eu', a: 'frontend', b: 'payments' };
  const id = trafficKeyId(key);
  const add = (t: TrafficTable, s: Parameters<TrafficTable['add']>[2], now: number, evalFrom = now - H): boolean => t.add(key, id, s, s.timeMs, now, evalFrom);

  test('buckets are floor(t / 10 s) · 10 s; sum and count per metric; moments per clock hour', () => {
    expect(bucketOf(T0 + 9_999)).toBe(T0);
    expect(bucketOf(T0 + 10_000)).toBe(T0 + 10_000);
    expect(bucketOf(-1)).toBe(-10_000);
    const t = new TrafficTable(10);
    add(t, sample({ timeMs: T0 + 1 * S, value: 10 }), T0 + 2 * S);
    add(t, sample({ timeMs: T0 + 2 * S, value: 30 }), T0 + 2 * S);
    add(t, sample({ timeMs: T0 + 2 * S, metric: 'tcp.packets', value: 4 }), T0 + 2 * S);
    add(t, sample({ timeMs: T0 - 1, value: 5 }), T0 + 2 * S);
    const closed = t.closeBuckets(T0 + 10 * S);
    expect(closed.map((c) => c.bucketMs)).toEqual([T0 - 10 * S, T0]);
    expect(Object.fromEntries(closed[1].metrics)).toEqual({ 'tcp.bytes': { sum: 40, count: 2 }, 'tcp.packets': { sum: 4, count: 1 } });
    const deltas = t.takeDeltas();
    const hour = T0 / H;
    expect(deltas).toEqual(
      expect.arrayContaining([
        { key: id, hour, metric: 'tcp.bytes', moments: { n: 2, sum: 40, sumSq: 1000 } },
        { key: id, hour, metric: 'tcp.packets', moments: { n: 1, sum: 4, sumSq: 16 } },
        { key: id, hour: hour - 1, metric: 'tcp.bytes', moments: { n: 1, sum: 5, sumSq: 25 } },
      ]),
    );
    expect(deltas).toHaveLength(3);
    expect(t.takeDeltas()).toEqual([]);
  });

  test('a point of a closed bucket, or one older than the detection window, only feeds the moments', () => {
    const t = new TrafficTable(10);
    add(t, sample({ timeMs: T0 }), T0);
    expect(t.closeBuckets(T0 + 10 * S)).toHaveLength(1);
    add(t, sample({ timeMs: T0 + 5 * S }), T0 + 20 * S);
    add(t, sample({ timeMs: T0 - 2 * H }), T0 + 20 * S);
    expect(t.closeBuckets(Infinity)).toEqual([]);
    expect(t.takeDeltas().reduce((n, d) => n + d.moments.n, 0)).toBe(3);
  });

  test('putBack adds failed deltas to what arrived meanwhile; non-finite values are ignored', () => {
    const t = new TrafficTable(10);
    add(t, sample({ value: 2 }), T0);
    const d = t.takeDeltas();
    add(t, sample({ value: 3 }), T0);
    add(t, sample({ value: Number.NaN }), T0);
    t.putBack(d);
    expect(t.takeDeltas()).toEqual([{ key: id, hour: T0 / H, metric: 'tcp.bytes', moments: { n: 2, sum: 5, sumSq: 13 } }]);
  });

  test('at traffic_max_keys new keys are refused and counted once each; idle keys leave when nothing is pending', () => {
    const t = new TrafficTable(1);
    const other = { ...key, b: 'db' };
    expect(add(t, sample(), T0)).toBe(true);
    expect(t.add(other, trafficKeyId(other), sample({ dest: 'db' }), T0, T0, T0 - H)).toBe(false);
    expect(t.add(other, trafficKeyId(other), sample({ dest: 'db' }), T0, T0, T0 - H)).toBe(false);
    expect(t.takeRefused()).toBe(1);
    expect(t.takeRefused()).toBe(0);
    // Pending moments and an open bucket keep the key.
    expect(t.dropIdle(T0 + 3 * H)).toBe(0);
    t.takeDeltas();
    t.closeBuckets(Infinity);
    expect(t.dropIdle(T0 - 1)).toBe(0);
    expect(t.dropIdle(T0 + 3 * H)).toBe(1);
    expect(t.size).toBe(0);
  });

  test('evaluate: late buckets and thin baselines are skipped and counted; anomalies carry the bucket average', () => {
    const t = new TrafficTable(10);
    add(t, sample({ timeMs: T0 + 1 * S, value: 100 }), T0 + 2 * S, T0 - 2 * H);
    add(t, sample({ timeMs: T0 + 2 * S, value: 300 }), T0 + 2 * S, T0 - 2 * H);
    add(t, sample({ timeMs: T0 - 90 * M, value: 1 }), T0 + 2 * S, T0 - 2 * H);
    const closed = t.closeBuckets(Infinity);
    const baselines = new Map([[`${T0 / H}|${id}`, { 'tcp.bytes': { n: 400, sum: 400 * 100, sumSq: 400 * 10_100 } }]]);
    const res = evaluateBuckets(closed, baselines, { sigma: 3, stdevFloorRatio: 0.05, minBaselinePoints: 360 }, T0 - H);
    expect(res.skipped).toEqual({ late: 1 });
    expect(res.anomalies).toEqual([{ key: id, metric: 'tcp.bytes', bucketMs: T0, value: 200, mean: 100, stdev: expect.closeTo(10, 9), z: expect.closeTo(10, 9) }]);
    const none = evaluateBuckets(closed.slice(1), new Map(), { sigma: 3, stdevFloorRatio: 0.05, minBaselinePoints: 360 }, T0 - H);
    expect(none).toEqual({ anomalies: [], skipped: { min_points: 1 }, judged: 0 });
  });
});
