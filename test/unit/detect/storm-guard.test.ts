import type { Alert } from '../../../src/core/alert';
import { Detector } from '../../../src/detect/detector';
import { StormGuard } from '../../../src/detect/storm-guard';
import { MemoryStore } from '../../../src/store/memory/memory-store';
import type { ObserveOutcome, Sighting } from '../../../src/store/store';
import { createLogger } from '../../../src/telemetry/logger';
import { Telemetry } from '../../../src/telemetry/metrics';
import { obs, type ObsSpec } from '../../helpers/observations';

const H = 3_600_000;
const MIN = 60_000;
/** On a minute boundary, so windows are [NOW, NOW + 1 min). */
const NOW = Date.UTC(2026, 10, 28, 10, 0, 0);

async function rig(cap: number) {
  const store = new MemoryStore();
  await store.init(['test']);
  const clock = { now: NOW };
  let notified = 0;
  const storm = new StormGuard(
    store,
    { maxPerWindow: cap, replicaId: 'replica-1', externalUrl: 'https://ew.example.com', baselineWindowMs: 30 * 24 * H, detectionWindowMs: H, now: () => clock.now },
    () => notified++,
    createLogger('silent'),
  );
  const det = new Detector(
    store,
    { baselineWindowMs: 30 * 24 * H, detectionWindowMs: H, learningPeriodMs: 0, clockSkewMs: 5 * MIN, baselineScope: 'cluster', cacheMaxEdges: 10_000, now: () => clock.now },
    new Telemetry(),
  );
  det.setBudget(storm);
  const alerts = async (): Promise<Alert[]> => (await store.listAlerts(10_000)).map((a) => a.alert).reverse();
  const send = (specs: ObsSpec[]) => det.consume(specs.map(obs));
  return { store, clock, storm, det, alerts, send, notified: () => notified };
}

const edges = (n: number, cluster: string, t: number, prefix = 'src'): ObsSpec[] => Array.from({ length: n }, (_, i) => ({ cluster, src: `${prefix}-${i}`, dst: 'db', t }));

describe('storm guard', () => {
  test('caps alerts per cluster per minute; the rest enter the baseline and one summary counts them', async () => {
    const r = await rig(5);
    const res = await r.send(edges(12, 'prod-eu', NOW));
    expect(res).toMatchObject({ newEdges: 12, alerts: 5 });
    expect(await r.store.countEdges()).toBe(12);
    expect(r.storm.heldBackNow('prod-eu')).toBe(7);
    // Later in the same window: still capped.
    r.clock.now = NOW + 30_000;
    expect(await r.send(edges(3, 'prod-eu', NOW + 30_000, 'late'))).toMatchObject({ newEdges: 3, alerts: 0 });
    // Held-back edges are known now: no alert for them later either.
    r.clock.now = NOW + 2 * MIN;
    expect(await r.send(edges(12, 'prod-eu', NOW + 2 * MIN))).toMatchObject({ newEdges: 0, alerts: 0 });

    expect(await r.storm.tick(NOW + 2 * MIN)).toBe(1);
    expect(r.notified()).toBe(1);
    const all = await r.alerts();
    expect(all.filter((a) => a.rule !== 'kubernetes_newly_seen_edge_storm')).toHaveLength(5);
    const [summary] = all.filter((a) => a.rule === 'kubernetes_newly_seen_edge_storm');
    expect(summary).toMatchObject({
      rule: 'kubernetes_newly_seen_edge_storm',
      title: 'Kubernetes newly seen edge storm in kubernetes cluster prod-eu',
      cluster: 'prod-eu',
      protocol: 'tcp',
      held_back: 10,
      held_back_by_protocol: { tcp: 10 },
      list_url: `https://ew.example.com/api/v1/edges?cluster=prod-eu&since=${encodeURIComponent(new Date(NOW).toISOString())}`,
      window_start: new Date(NOW).toISOString(),
      window_end: new Date(NOW + MIN).toISOString(),
      previous_seen: null,
      source: { workload: '*', namespace: null },
    });
    expect(summary.id).toMatch(/^[0-9a-f]{32}$/);
    expect(await r.storm.tick(NOW + 3 * MIN)).toBe(0); // one summary per window
  });

  test('each cluster has its own cap; a new window has a fresh one', async () => {
    const r = await rig(3);
    await r.send([...edges(5, 'a', NOW), ...edges(2, 'b', NOW)]);
    let got = await r.alerts();
    expect(got.filter((x) => x.cluster === 'a')).toHaveLength(3);
    expect(got.filter((x) => x.cluster === 'b')).toHaveLength(2);
    r.clock.now = NOW + MIN;
    await r.send(edges(5, 'a', NOW + MIN, 'next'));
    got = await r.alerts();
    expect(got.filter((x) => x.cluster === 'a')).toHaveLength(6);
    await r.storm.tick(NOW + 3 * MIN);
    const summaries = (await r.alerts()).filter((x) => x.rule === 'kubernetes_newly_seen_edge_storm');
    expect(summaries.map((s) => [s.cluster, s.held_back, s.window_start])).toEqual([
      ['a', 2, new Date(NOW).toISOString()],
      ['a', 2, new Date(NOW + MIN).toISOString()],
    ]);
  });

  test('mixed protocols: protocol null and counts per protocol', async () => {
    const r = await rig(1);
    await r.send([...edges(2, 'c', NOW), { cluster: 'c', src: 'dns', dst: 'kube-dns', proto: 'udp', t: NOW }]);
    await r.storm.flush();
    const [s] = (await r.alerts()).filter((x) => x.rule === 'kubernetes_newly_seen_edge_storm');
    expect(s).toMatchObject({ protocol: null, held_back: 2 });
    expect(s.held_back_by_protocol).toEqual({ tcp: 1, udp: 1 });
  });

  test('budget spent on edges that turn out known is handed back (a cold cache after a restart)', async () => {
    const r = await rig(2);
    // 20 known edges (baseline written directly: the detector's cache does not know them).
    await r.store.observe(edges(20, 'prod', NOW - 24 * H).map((s) => ({ key: { scope: 'prod', protocol: 'tcp', source: s.src ?? '', dest: 'db' }, firstMs: s.t, lastMs: s.t })), 30 * 24 * H);
    const res = await r.send([...edges(20, 'prod', NOW), { cluster: 'prod', src: 'really-new', dst: 'db', t: NOW }]);
    expect(res).toMatchObject({ newEdges: 1, alerts: 1 });
    expect((await r.alerts()).map((a) => a.source.workload)).toEqual(['really-new']);
    expect(r.storm.heldBackNow('prod')).toBe(0);
  });

  test('concurrent batches never overspend the cap', async () => {
    const r = await rig(4);
    await Promise.all(Array.from({ length: 5 }, (_, b) => r.send(edges(3, 'p', NOW, `b${b}`))));
    expect((await r.alerts()).length).toBe(4);
    expect(r.storm.heldBackNow('p')).toBe(11);
  });

  test('a store failure hands the reservation back; a summary waits for the store', async () => {
    const r = await rig(2);
    const observe = r.store.observe.bind(r.store);
    let fail = true;
    r.store.observe = (s: Sighting[], w: number): Promise<ObserveOutcome[]> => (fail ? Promise.reject(new Error('down')) : observe(s, w));
    await expect(r.send(edges(2, 'x', NOW))).rejects.toThrow('down');
    fail = false;
    expect(await r.send(edges(3, 'x', NOW, 'again'))).toMatchObject({ alerts: 2 });
    const enqueue = r.store.enqueueAlert.bind(r.store);
    r.store.enqueueAlert = () => Promise.reject(new Error('down'));
    expect(await r.storm.tick(NOW + MIN)).toBe(0);
    r.store.enqueueAlert = enqueue;
    expect(await r.storm.tick(NOW + MIN + 1000)).toBe(1);
  });
});
