import type { TrafficSample } from '../../../../src/core/traffic';
import { compileFilterRules } from '../../../../src/detect/filter-rules';
import { decayPerHour, TrafficStage } from '../../../../src/detect/traffic/traffic-stage';
import type { BaselineStore } from '../../../../src/store/store';
import { createLogger } from '../../../../src/telemetry/logger';
import { Telemetry } from '../../../../src/telemetry/metrics';
import { H, M, S, sample, STAGE_DEFAULTS, stream, T0, uniform, rig, type Rig } from './traffic-rig';

/** Bounded noise (±15 % of 1000, never 3σ away) so no point but the spike's is an outlier. */
function traffic(seed: number, spike: { from: number; to: number; value: number } | null, over: Partial<TrafficSample> = {}): (t: number) => TrafficSample[] {
  const u = uniform(seed);
  return (t) => {
    const noise = 1000 + (u() * 300 - 150);
    const value = spike !== null && t >= spike.from && t < spike.to ? spike.value : noise;
    return [sample({ timeMs: t, value, ...over })];
  };
}

const SPIKE = { from: T0 + 5 * H + 10 * M, to: T0 + 5 * H + 20 * M, value: 3000 };

describe('traffic stage on the memory store', () => {
  test('a 10-minute spike after a steady baseline fires exactly one alert, at its sixth anomaly', async () => {
    const r = await rig();
    await stream(r, T0, T0 + 5 * H + 50 * M, traffic(1, SPIKE));
    const alerts = await r.alerts();
    expect(alerts).toHaveLength(1);
    const a = alerts[0];
    expect(a).toMatchObject({
      rule: 'kubernetes_anomalous_traffic_on_network_edge',
      rule_id: '886c7e51-2ea1-425d-8705-faaca5a64cc6',
      title: 'Kubernetes Anomalous Traffic on Network Edge in kubernetes cluster prod-eu',
      cluster: 'prod-eu',
      protocol: 'tcp',
      source: { workload: 'frontend', namespace: 'shop' },
      dest: { workload: 'payments', namespace: 'shop' },
      first_seen: new Date(SPIKE.from).toISOString(),
      risk_score: 25,
      severity: 'medium',
      mitre_attack: ['T1204'],
    });
    // More than 5: it fires with the sixth spike bucket, and the cooldown keeps the other 14 quiet.
    expect(a.anomalies?.map((x) => x.bucket_start)).toEqual([0, 1, 2, 3, 4, 5].map((i) => new Date(SPIKE.from + i * 30 * S).toISOString()));
    for (const x of a.anomalies ?? []) {
      expect(x.value).toBe(3000);
      expect(x.mean).toBeGreaterThan(990);
      expect(x.mean).toBeLessThan(1010);
      expect(x.message).toBe(`tcp.bytes higher than average by ${Math.round(x.z * 100) / 100} standard deviations`);
    }
    expect(a.process).toBeUndefined();
  });

  test('steady traffic alone raises nothing', async () => {
    const r = await rig();
    await stream(r, T0, T0 + 6 * H, traffic(2, null));
    expect(await r.alerts()).toEqual([]);
  });

  test('no verdict before the baseline holds traffic_min_baseline_points: a spike of a new key raises nothing', async () => {
    const r = await rig();
    const spike = { from: T0 + 2 * H, to: T0 + 2 * H + 20 * M, value: 3000 };
    let skipped = 0;
    const batchAt = traffic(3, spike);
    for (let t = T0; t < T0 + 2 * H + 30 * M; t += 30 * S) {
      r.clock.now = t + 2 * S;
      await r.stage.consume(batchAt(t));
      skipped += (await r.stage.flush()).skipped.min_points ?? 0;
    }
    expect(await r.alerts()).toEqual([]);
    expect(skipped).toBeGreaterThan(250);
  });

  test('back-filled points older than the detection window only feed the baseline', async () => {
    const r = await rig();
    r.clock.now = T0 + 10 * H;
    const batchAt = traffic(4, { from: T0 + 7 * H, to: T0 + 8 * H, value: 3000 });
    const batch: TrafficSample[] = [];
    for (let t = T0; t < T0 + 8 * H; t += 30 * S) batch.push(...batchAt(t));
    await r.stage.consume(batch);
    const res = await r.stage.flush({ final: true });
    expect(res).toMatchObject({ closed: 0, anomalies: 0, firings: 0 });
    expect(res.deltas).toBe(8);
    const [b] = await r.store.readTrafficBaselines(['edge_traffic|7:prod-eu|8:frontend|payments'], (T0 + 10 * H) / H, 1);
    expect(b.metrics['tcp.bytes'].n).toBe(8 * 120);
    expect(await r.alerts()).toEqual([]);
  });

  test('process detections: inbound names the dest process, outbound the source process; the other end is *', async () => {
    const r = await rig({ detections: ['edge_traffic', 'process_inbound', 'process_outbound'] });
    await stream(r, T0, T0 + 5 * H + 30 * M, traffic(5, SPIKE, { sourceProcess: 'node', destProcess: 'java' }));
    const byRule = Object.fromEntries((await r.alerts()).map((a) => [a.rule, a]));
    expect(Object.keys(byRule).sort()).toEqual([
      'kubernetes_anomalous_inbound_network_activity_from_process',
      'kubernetes_anomalous_outbound_network_activity_from_process',
      'kubernetes_anomalous_traffic_on_network_edge',
    ]);
    expect(byRule.kubernetes_anomalous_inbound_network_activity_from_process).toMatchObject({
      rule_id: '10442d8b-0701-4c25-911d-d67b906e713c',
      title: 'Kubernetes Anomalous Inbound Network Activity from Process in kubernetes cluster prod-eu',
      source: { workload: '*', namespace: null },
      dest: { workload: 'payments', namespace: 'shop' },
      process: { name: 'java', side: 'dest' },
      attributes: { 'k8s.cluster.name': 'prod-eu', 'dest.workload.name': 'payments', 'dest.namespace.name': 'shop', 'dest.process.name': 'java' },
    });
    expect(byRule.kubernetes_anomalous_outbound_network_activity_from_process).toMatchObject({
      rule_id: 'dd6afee6-e0a3-4028-a089-f47dd2842c22',
      source: { workload: 'frontend', namespace: 'shop' },
      dest: { workload: '*', namespace: null },
      process: { name: 'node', side: 'source' },
    });
  });

  test('global scope: one key across clusters, the alert names the cluster of its latest point', async () => {
    const r = await rig({ baselineScope: 'global' });
    const a = traffic(6, SPIKE, { cluster: 'a' });
    const b = traffic(7, SPIKE, { cluster: 'b' });
    await stream(r, T0, T0 + 5 * H + 30 * M, (t) => (Math.floor(t / (30 * S)) % 2 === 0 ? a(t) : b(t)));
    const alerts = await r.alerts();
    expect(alerts).toHaveLength(1);
    expect(['a', 'b']).toContain(alerts[0].cluster);
    expect(r.stage.table.size).toBe(1);
  });

  test('filter rules match traffic alerts by rule name, cluster and workloads', async () => {
    const rules = compileFilterRules(`
- {name: other-rule, rule: kubernetes_newly_seen_tcp_edge, cluster: prod-eu}
- {name: mute-edge-traffic, rule: kubernetes_anomalous_traffic_on_network_edge, cluster: prod-eu, source: front*, dest: payments}
`);
    const matched: string[] = [];
    const r = await rig();
    r.stage.setFilter((obs) => {
      const m = rules.match(obs, r.clock.now);
      if (m !== null) matched.push(m.label);
      return m !== null;
    });
    await stream(r, T0, T0 + 5 * H + 30 * M, traffic(8, SPIKE));
    expect(await r.alerts()).toEqual([]);
    expect(matched).toEqual(['mute-edge-traffic']);
  });

  test('storm guard: alerts go through enqueueGuarded; past the cap they are held back', async () => {
    const r = await rig();
    r.stage.setStormPolicy({ maxPerWindow: 1, windowMs: 60 * M });
    const a = traffic(9, SPIKE);
    const b = traffic(10, SPIKE, { dest: 'db' });
    let held = 0;
    let enqueued = 0;
    const batchAt = (t: number): TrafficSample[] => [...a(t), ...b(t)];
    for (let t = T0; t < T0 + 5 * H + 30 * M; t += 30 * S) {
      r.clock.now = t + 2 * S;
      await r.stage.consume(batchAt(t));
      const res = await r.stage.flush();
      held += res.held;
      enqueued += res.enqueued;
    }
    expect([enqueued, held]).toEqual([1, 1]);
    expect(await r.alerts()).toHaveLength(1);
  });

  test('a shutdown flush judges the buckets still open', async () => {
    const r = await rig();
    await stream(r, T0, T0 + 5 * H, traffic(11, null));
    const spike = traffic(12, { from: 0, to: Infinity, value: 3000 });
    // Three points in the first bucket (one verdict on their average), then one in each of five more.
    for (let i = 0; i < 3; i++) await r.stage.consume(spike(T0 + 5 * H + i * S));
    for (let i = 1; i < 6; i++) await r.stage.consume(spike(T0 + 5 * H + i * 10 * S));
    // The clock stands still: without `final` the watermark closes none of them.
    expect((await r.stage.flush()).closed).toBe(0);
    const res = await r.stage.flush({ final: true });
    expect(res.anomalies).toBe(6);
    expect(res.firings).toBe(1);
  });

  test('a store that fails keeps the work: moments, verdicts and the alert go through on a later flush', async () => {
    const state = { failing: false };
    const trafficOps = new Set(['addTrafficMoments', 'readTrafficBaselines', 'recordTrafficAnomalies', 'enqueueAlert']);
    const wrap = (s: BaselineStore): BaselineStore =>
      new Proxy(s, {
        get(target, prop, receiver) {
          const v = Reflect.get(target, prop, receiver) as unknown;
          if (typeof v !== 'function') return v;
          if (state.failing && trafficOps.has(String(prop))) return () => Promise.reject(new Error('store down'));
          return (v as (...a: unknown[]) => unknown).bind(target);
        },
      });
    const r: Rig = await rig({}, wrap);
    await stream(r, T0, T0 + 5 * H + 10 * M, traffic(13, SPIKE));
    state.failing = true;
    let failures = 0;
    const batchAt = traffic(13, SPIKE);
    for (let t = T0 + 5 * H + 10 * M; t < T0 + 5 * H + 20 * M; t += 30 * S) {
      r.clock.now = t + 2 * S;
      await r.stage.consume(batchAt(t));
      await r.stage.flush().catch(() => failures++);
    }
    expect(failures).toBe(20);
    expect(await r.alerts()).toEqual([]);
    state.failing = false;
    await stream(r, T0 + 5 * H + 20 * M, T0 + 5 * H + 30 * M, batchAt);
    const alerts = await r.alerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0].first_seen).toBe(new Date(SPIKE.from).toISOString());
    // Nothing was lost or doubled: the baseline holds every point once (hours 0–4 folded with δ
    // when the stage read hour 5; hour 5's 60 points join now, read with δ = 1).
    const [b] = await r.store.readTrafficBaselines(['edge_traffic|7:prod-eu|8:frontend|payments'], (T0 + 7 * H) / H, 1);
    const d = decayPerHour(STAGE_DEFAULTS.baselineWindowMs);
    expect(b.metrics['tcp.bytes'].n).toBeCloseTo(120 * (1 + d + d ** 2 + d ** 3 + d ** 4) + 60, 9);
  });

  test('two replicas on one store seeing the same spike raise one alert', async () => {
    const r = await rig();
    const second = new TrafficStage(r.store, { ...STAGE_DEFAULTS, now: () => r.clock.now }, new Telemetry(), createLogger('silent'));
    const batchAt = traffic(14, SPIKE);
    for (let t = T0; t < T0 + 5 * H + 30 * M; t += 30 * S) {
      r.clock.now = t + 2 * S;
      const batch = batchAt(t);
      await r.stage.consume(batch);
      await second.consume(batch);
      await Promise.all([r.stage.flush(), second.flush()]);
    }
    expect(await r.alerts()).toHaveLength(1);
  });
});
