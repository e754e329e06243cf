import type { Alert } from '../../../src/core/alert';
import { Detector } from '../../../src/detect/detector';
import { StormGuard } from '../../../src/detect/storm-guard';
import { MemoryStore } from '../../../src/store/memory/memory-store';
import type { BaselineStore } from '../../../src/store/store';
import { createLogger } from '../../../src/telemetry/logger';
import { Telemetry } from '../../../src/telemetry/metrics';
import { obs, type ObsSpec } from '../../helpers/observations';

const H = 3_600_000;
const MIN = 60_000;
/** On a minute boundary, so windows are [NOW, NOW + 1 min). */
const NOW = Date.UTC(2026, 10, 28, 10, 0, 0);

/** A detector and a guard on one store whose clock (the storm windows' clock) the test moves. */
function replica(store: BaselineStore, cap: number, clock: { now: number }) {
  const events = { enqueued: 0, heldBack: 0 };
  const storm = new StormGuard(
    store,
    { maxPerWindow: cap, externalUrl: 'https://ew.example.com', baselineWindowMs: 30 * 24 * H, detectionWindowMs: H, now: () => clock.now },
    { enqueued: (n) => (events.enqueued += n), heldBack: (n) => (events.heldBack += n) },
    createLogger('silent'),
  );
  const det = new Detector(
    store,
    { baselineWindowMs: 30 * 24 * H, detectionWindowMs: H, learningPeriodMs: 0, clockSkewMs: 5 * MIN, baselineScope: 'cluster', cacheMaxEdges: 10_000, now: () => clock.now },
    new Telemetry(),
  );
  det.setStormPolicy(storm.policy);
  return { storm, det, events, send: (specs: ObsSpec[]) => det.consume(specs.map(obs)) };
}

async function rig(cap: number) {
  const clock = { now: NOW };
  const store = new MemoryStore({ now: () => clock.now });
  await store.init(['test']);
  const alerts = async (): Promise<Alert[]> => (await store.listAlerts(10_000)).map((a) => a.alert).reverse();
  const summaries = async (): Promise<Alert[]> => (await alerts()).filter((a) => a.rule === 'kubernetes_newly_seen_edge_storm');
  return { store, clock, alerts, summaries, ...replica(store, cap, clock) };
}

const edges = (n: number, cluster: string, t: number, prefix = 'src'): ObsSpec[] => Array.from({ length: n }, (_, i) => ({ cluster, src: `${prefix}-${i}`, dst: 'db', t }));

describe('storm guard', () => {
  test('caps alerts per cluster per minute; the rest enter the baseline and one summary counts them', async () => {
    const r = await rig(5);
    expect(await r.send(edges(12, 'prod-eu', NOW))).toMatchObject({ newEdges: 12, alerts: 5 });
    expect(await r.store.countEdges()).toBe(12);
    // Later in the same window: still capped.
    r.clock.now = NOW + 30_000;
    expect(await r.send(edges(3, 'prod-eu', NOW + 30_000, 'late'))).toMatchObject({ newEdges: 3, alerts: 0 });
    // Not summarised before the window ended (and its grace passed).
    r.clock.now = NOW + MIN + 1000;
    expect(await r.storm.tick()).toBe(0);
    // Held-back edges are known now: no alert for them later either.
    r.clock.now = NOW + 2 * MIN;
    expect(await r.send(edges(12, 'prod-eu', NOW + 2 * MIN))).toMatchObject({ newEdges: 0, alerts: 0 });

    expect(await r.storm.tick()).toBe(1);
    expect(r.events.enqueued).toBe(1);
    const all = await r.alerts();
    expect(all.filter((a) => a.rule !== 'kubernetes_newly_seen_edge_storm')).toHaveLength(5);
    const [summary] = await r.summaries();
    expect(summary).toMatchObject({
      rule: 'kubernetes_newly_seen_edge_storm',
      title: 'Kubernetes newly seen edge storm in kubernetes cluster prod-eu',
      cluster: 'prod-eu',
      protocol: 'tcp',
      held_back: 10,
      held_back_by_protocol: { tcp: 10 },
      list_url: `https://ew.example.com/api/v1/edges?cluster=prod-eu&since=${encodeURIComponent(new Date(NOW).toISOString())}`,
      first_seen: new Date(NOW).toISOString(),
      window_start: new Date(NOW).toISOString(),
      window_end: new Date(NOW + MIN).toISOString(),
      previous_seen: null,
      source: { workload: '*', namespace: null },
    });
    expect(summary.id).toMatch(/^[0-9a-f]{32}$/);
    r.clock.now = NOW + 3 * MIN;
    expect(await r.storm.tick()).toBe(0); // one summary per window
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
    r.clock.now = NOW + 3 * MIN;
    await r.storm.tick();
    expect((await r.summaries()).map((s) => [s.cluster, s.held_back, s.window_start]).sort()).toEqual([
      ['a', 2, new Date(NOW).toISOString()],
      ['a', 2, new Date(NOW + MIN).toISOString()],
    ]);
  });

  test('mixed protocols: protocol null and counts per protocol', async () => {
    const r = await rig(1);
    await r.send(edges(2, 'c', NOW));
    await r.send([{ cluster: 'c', src: 'dns', dst: 'kube-dns', proto: 'udp', t: NOW }]);
    r.clock.now = NOW + 2 * MIN;
    await r.storm.tick();
    const [s] = await r.summaries();
    expect(s).toMatchObject({ protocol: null, held_back: 2 });
    expect(s.held_back_by_protocol).toEqual({ tcp: 1, udp: 1 });
  });

  test('known edges never spend the cap (a cold cache after a restart asks the store about each)', async () => {
    const r = await rig(2);
    // 20 known edges (baseline written directly: the detector's cache does not know them).
    await r.store.observe(edges(20, 'prod', NOW - 24 * H).map((s) => ({ key: { scope: 'prod', protocol: 'tcp', source: s.src ?? '', dest: 'db' }, firstMs: s.t, lastMs: s.t })), 30 * 24 * H);
    expect(await r.send([...edges(20, 'prod', NOW), { cluster: 'prod', src: 'really-new', dst: 'db', t: NOW }])).toMatchObject({ newEdges: 1, alerts: 1 });
    expect(await r.send(edges(2, 'prod', NOW, 'more'))).toMatchObject({ newEdges: 2, alerts: 1 });
    const raised = (await r.alerts()).map((a) => a.source.workload);
    expect(raised).toHaveLength(2);
    expect(raised).toContain('really-new');
  });

  test('concurrent batches, and two replicas on one store, never overspend the cap', async () => {
    const r = await rig(4);
    const other = replica(r.store, 4, r.clock);
    await Promise.all(Array.from({ length: 6 }, (_, b) => (b % 2 ? other : r).send(edges(3, 'p', NOW, `b${b}`))));
    expect(await r.alerts()).toHaveLength(4);
    // Both replicas tick: one summary, with every held-back edge of either replica.
    r.clock.now = NOW + 2 * MIN;
    const ticks = await Promise.all([r.storm.tick(), other.storm.tick()]);
    expect(ticks[0] + ticks[1]).toBe(1);
    expect((await r.summaries()).map((s) => s.held_back)).toEqual([14]);
  });

  test('a stopped guard leaves its window in the store: a restarted one summarises it', async () => {
    const r = await rig(1);
    await r.send(edges(4, 'x', NOW));
    await r.storm.stop(); // the window is still running: nothing to summarise yet, nothing lost
    expect(await r.summaries()).toEqual([]);
    r.clock.now = NOW + 2 * MIN;
    const restarted = replica(r.store, 1, r.clock);
    expect(await restarted.storm.tick()).toBe(1);
    expect((await r.summaries()).map((s) => s.held_back)).toEqual([3]);
  });

  test('a store failure never rejects a tick; the summary is written on a later one', async () => {
    const r = await rig(2);
    await r.send(edges(3, 'x', NOW));
    r.clock.now = NOW + 2 * MIN;
    const summarise = r.store.summariseStorms.bind(r.store);
    r.store.summariseStorms = () => Promise.reject(new Error('down'));
    expect(await r.storm.tick()).toBe(0);
    r.store.summariseStorms = summarise;
    expect(await r.storm.tick()).toBe(1);
  });
});
