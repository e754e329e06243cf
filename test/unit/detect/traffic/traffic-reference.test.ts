/**
 * The streaming detectors against the exact offline search (test/helpers/traffic-reference.ts):
 * a synthetic 30-day series of one edge (one point per 30 s per metric, Gaussian noise on a
 * daily cycle) replayed in real time through the TrafficStage on the memory store, with and
 * without a 10-minute spike in the last hour. Same verdict, the same anomalous (bucket, metric)
 * pairs in the last hour, and the decayed baseline's mean and σ within the tolerance below of
 * the search's exact 30-day mean and sample σ.
 */
import { trafficKeyId, type TrafficAnomaly, type TrafficSample } from '../../../../src/core/traffic';
import { decayPerHour } from '../../../../src/detect/traffic/traffic-stage';
import { momentStats } from '../../../../src/detect/traffic/traffic-stats';
import type { BaselineStore } from '../../../../src/store/store';
import { referenceVerdict, type RefPoint } from '../../../helpers/traffic-reference';
import { D, H, M, S, normal, rig, sample, stream, STAGE_DEFAULTS, T0 } from './traffic-rig';

/**
 * Tolerance of the decayed baseline against the exact one: |mean − mean_ref| ≤ 2 % of σ_ref and
 * |σ / σ_ref − 1| ≤ 2 %. The decayed moments weigh recent days more (time constant 15 days), so
 * they are a different average of the same stationary noise; with ~86,000 points a metric the
 * difference is a fraction of a percent, the daily cycle's partial last day included.
 */
const MEAN_TOL_SIGMAS = 0.02;
const STDEV_TOL = 0.02;

const END = T0 + 30 * D;
const KEY = trafficKeyId({ detection: 'edge_traffic', scope: 'prod-eu', a: 'frontend', b: 'payments' });
const METRICS = {
  'tcp.bytes': { mean: 1000, stdev: 100, daily: 80 },
  'udp.packets': { mean: 50, stdev: 8, daily: 0 },
};

/** One point per 30 s per metric over 30 days; `spike`: tcp.bytes at mean + 6σ for 10 minutes, 40 minutes before the end. */
function series(seed: number, spike: boolean): RefPoint[] {
  const z = normal(seed);
  const out: RefPoint[] = [];
  for (let t = T0; t < END; t += 30 * S) {
    for (const [metric, m] of Object.entries(METRICS)) {
      let value = m.mean + m.daily * Math.sin((2 * Math.PI * (t % D)) / D) + m.stdev * z();
      if (spike && metric === 'tcp.bytes' && t >= END - 40 * M && t < END - 30 * M) value = m.mean + 6 * 128;
      out.push({ t, metric, value });
    }
  }
  return out;
}

async function replay(points: RefPoint[]): Promise<{ alerts: number; lastHour: TrafficAnomaly[]; store: BaselineStore; fired: boolean }> {
  const recorded: TrafficAnomaly[] = [];
  // The real memory store; only the anomalies passed to it are noted, to compare them all.
  const spy = (s: BaselineStore): BaselineStore =>
    new Proxy(s, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (typeof v !== 'function') return v;
        const f = (v as (...a: unknown[]) => unknown).bind(target);
        if (prop !== 'recordTrafficAnomalies') return f;
        return (anomalies: TrafficAnomaly[], ...rest: unknown[]) => {
          recorded.push(...anomalies);
          return f(anomalies, ...rest);
        };
      },
    });
  const r = await rig({}, spy);
  const byTime = new Map<number, TrafficSample[]>();
  for (const p of points) {
    const list = byTime.get(p.t) ?? [];
    list.push(sample({ timeMs: p.t, metric: p.metric, value: p.value }));
    byTime.set(p.t, list);
  }
  await stream(r, T0, END, (t) => byTime.get(t) ?? [], { flushEveryMs: 60 * S });
  await r.stage.flush({ final: true });
  const alerts = await r.alerts();
  const lastHour = recorded.filter((a) => a.bucketMs >= END - H).sort((x, y) => x.bucketMs - y.bucketMs || (x.metric < y.metric ? -1 : 1));
  const fired = alerts.some((a) => (a.anomalies ?? []).some((x) => Date.parse(x.bucket_start) >= END - H));
  return { alerts: alerts.length, lastHour, store: r.store, fired };
}

describe.each([
  ['steady 30 days', false],
  ['30 days and a 10-minute spike in the last hour', true],
])('streaming detectors vs the exact search: %s', (_name, spike) => {
  const points = series(spike ? 42 : 7, spike);
  const ref = referenceVerdict(points, { nowMs: END });
  let got: Awaited<ReturnType<typeof replay>>;
  beforeAll(async () => {
    got = await replay(points);
  }, 60_000);

  test('same verdict, and no alert at any other hour of the 30 days', () => {
    expect(ref.fires).toBe(spike);
    expect(got.fired).toBe(ref.fires);
    expect(got.alerts).toBe(ref.fires ? 1 : 0);
  });

  test('the same anomalous (bucket, metric) pairs in the last hour', () => {
    expect(got.lastHour.map((a) => [a.bucketMs, a.metric])).toEqual(ref.anomalies.map((a) => [a.bucketMs, a.metric]));
    // The spike's 20 buckets, and whatever noise crosses 3σ (the same pairs on both sides).
    const spiked = ref.anomalies.filter((a) => a.metric === 'tcp.bytes' && a.bucketMs >= END - 40 * M && a.bucketMs < END - 30 * M);
    expect(spiked).toHaveLength(spike ? 20 : 0);
  });

  test(`baseline mean within ${MEAN_TOL_SIGMAS} σ and σ within ${STDEV_TOL * 100} % of the exact 30-day values`, async () => {
    const [b] = await got.store.readTrafficBaselines([KEY], END / H - 1, decayPerHour(STAGE_DEFAULTS.baselineWindowMs));
    for (const metric of Object.keys(METRICS)) {
      const mine = momentStats(b.metrics[metric]);
      const exact = ref.baseline[metric];
      expect(Math.abs(mine.mean - exact.mean)).toBeLessThanOrEqual(MEAN_TOL_SIGMAS * exact.stdev);
      expect(Math.abs(mine.stdev / exact.stdev - 1)).toBeLessThanOrEqual(STDEV_TOL);
    }
  });
});
