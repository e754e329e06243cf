import { Detector, lastSeenResolution, samePeriod, type DetectorOptions } from '../../../src/detect/detector';
import { MemoryStore } from '../../../src/store/memory/memory-store';
import { Telemetry } from '../../../src/telemetry/metrics';
import { obs, type ObsSpec } from '../../helpers/observations';

const H = 3_600_000;
const D = 24 * H;
const W = 30 * D;
const NOW = Date.UTC(2026, 10, 28, 10, 0, 0);

interface Rig {
  det: Detector;
  store: MemoryStore;
  clock: { now: number };
  send: (...specs: ObsSpec[]) => Promise<void>;
  alerts: () => Promise<Array<{ id: string; first_seen: string; previous_seen: string | null; rule: string; cluster: string; title: string }>>;
}

async function rig(over: Partial<DetectorOptions> = {}): Promise<Rig> {
  const store = new MemoryStore();
  await store.init(['test']);
  const clock = { now: NOW };
  const det = new Detector(
    store,
    {
      baselineWindowMs: W,
      detectionWindowMs: H,
      learningPeriodMs: 0,
      clockSkewMs: 5 * 60_000,
      baselineScope: 'cluster',
      cacheMaxEdges: 1000,
      now: () => clock.now,
      ...over,
    },
    new Telemetry(),
  );
  return {
    det,
    store,
    clock,
    send: async (...specs) => {
      await det.consume(specs.map(obs));
    },
    alerts: async () => (await store.listAlerts(1000)).map((a) => a.alert).reverse(),
  };
}

describe('detector: baseline window (rule 2) and previous_seen', () => {
  test.each([
    ['no history', null, true],
    ['history 10 days old', NOW - 10 * D, false],
    ['history exactly 30 days old (inside [t-30d, t))', NOW - W, false],
    ['history 30 days + 1 ms old', NOW - W - 1, true],
    ['history 31 days old', NOW - 31 * D, true],
  ])('%s', async (_name, history, alerts) => {
    const r = await rig();
    if (history !== null) await r.send({ t: history });
    await r.send({ t: NOW });
    const got = await r.alerts();
    expect(got).toHaveLength(alerts ? 1 : 0);
    if (alerts) {
      expect(got[0].first_seen).toBe(new Date(NOW).toISOString());
      expect(got[0].previous_seen).toBe(history === null ? null : new Date(history).toISOString());
    }
  });
});

describe('detector: detection window (rule 3) — late data only feeds the baseline', () => {
  test('a point exactly 1 h old alerts', async () => {
    const r = await rig();
    await r.send({ t: NOW - H });
    expect(await r.alerts()).toHaveLength(1);
  });
  test('a point 1 h + 1 ms old does not, but enters the baseline', async () => {
    const r = await rig();
    await r.send({ t: NOW - H - 1 });
    await r.send({ t: NOW });
    expect(await r.alerts()).toHaveLength(0);
    expect(await r.store.countEdges()).toBe(1);
  });
  test('a 2 h old point, then 31 days later the edge is new again', async () => {
    const r = await rig();
    await r.send({ t: NOW - 2 * H });
    r.clock.now = NOW + 31 * D;
    await r.send({ t: r.clock.now });
    const got = await r.alerts();
    expect(got).toHaveLength(1);
    expect(got[0].previous_seen).toBe(new Date(NOW - 2 * H).toISOString());
  });
});

describe('detector: point times (rule 1)', () => {
  test('5 min in the future is kept as is', async () => {
    const r = await rig();
    await r.send({ t: NOW + 5 * 60_000 });
    expect((await r.alerts())[0].first_seen).toBe(new Date(NOW + 5 * 60_000).toISOString());
  });
  test('further in the future is replaced by the receive time', async () => {
    const r = await rig();
    await r.send({ t: NOW + 5 * 60_000 + 1 });
    expect((await r.alerts())[0].first_seen).toBe(new Date(NOW).toISOString());
  });
  test('a missing time is replaced by the receive time', async () => {
    const r = await rig();
    await r.send({ t: 0 });
    expect((await r.alerts())[0].first_seen).toBe(new Date(NOW).toISOString());
  });
});

describe('detector: learning period (rule 4)', () => {
  test('no alert within 24 h of the scope\'s first point; alerts from exactly 24 h', async () => {
    const r = await rig({ learningPeriodMs: D });
    await r.send({ t: NOW, src: 'a', dst: 'b' });
    r.clock.now = NOW + D - 1;
    await r.send({ t: NOW + D - 1, src: 'c', dst: 'd' });
    r.clock.now = NOW + D;
    await r.send({ t: NOW + D, src: 'e', dst: 'f' });
    const got = await r.alerts();
    expect(got.map((a) => a.first_seen)).toEqual([new Date(NOW + D).toISOString()]);
  });
  test('learning is per scope: a new cluster learns on its own', async () => {
    const r = await rig({ learningPeriodMs: D });
    await r.send({ t: NOW - 2 * D, cluster: 'old' }); // late: baseline only, starts the old cluster's clock
    await r.send({ t: NOW, cluster: 'old', src: 'x' });
    await r.send({ t: NOW, cluster: 'fresh', src: 'x' });
    expect((await r.alerts()).map((a) => a.cluster)).toEqual(['old']);
  });
  test('learning 0 disables it', async () => {
    const r = await rig({ learningPeriodMs: 0 });
    await r.send({ t: NOW });
    expect(await r.alerts()).toHaveLength(1);
  });
});

describe('detector: once per appearance (rule 5)', () => {
  test('the same point three times → one alert', async () => {
    const r = await rig();
    for (let i = 0; i < 3; i++) await r.send({ t: NOW });
    expect(await r.alerts()).toHaveLength(1);
  });
  test('two concurrent batches with the same new edge → one alert', async () => {
    const r = await rig();
    await Promise.all([r.send({ t: NOW }), r.send({ t: NOW }), r.send({ t: NOW - 30_000 })]);
    expect(await r.alerts()).toHaveLength(1);
  });
  test('two detectors (replicas) on one store → one alert', async () => {
    const r = await rig();
    const other = new Detector(r.store, { baselineWindowMs: W, detectionWindowMs: H, learningPeriodMs: 0, clockSkewMs: 300_000, baselineScope: 'cluster', cacheMaxEdges: 10, now: () => NOW }, new Telemetry());
    await Promise.all([r.det.consume([obs({ t: NOW })]), other.consume([obs({ t: NOW })])]);
    expect(await r.alerts()).toHaveLength(1);
  });
  test('out-of-order points in one batch: the earliest is the first seen', async () => {
    const r = await rig();
    await r.send({ t: NOW - 10 * 60_000 }, { t: NOW - 20 * 60_000 }, { t: NOW - 15 * 60_000 });
    await r.send({ t: NOW - 30 * 60_000 });
    const got = await r.alerts();
    expect(got).toHaveLength(1);
    expect(got[0].first_seen).toBe(new Date(NOW - 20 * 60_000).toISOString());
  });
  test('a batch spanning a gap longer than the window holds two appearances', async () => {
    const r = await rig();
    await r.send({ t: NOW }, { t: NOW - W - 1 });
    const got = await r.alerts();
    expect(got).toHaveLength(1);
    expect(got[0].previous_seen).toBe(new Date(NOW - W - 1).toISOString());
  });
  test('an edge silent longer than the window is new again, also through the cache', async () => {
    const r = await rig();
    await r.send({ t: NOW });
    expect(r.det.cache.size).toBe(1);
    r.clock.now = NOW + W + 1;
    await r.send({ t: NOW + W + 1 });
    const got = await r.alerts();
    expect(got).toHaveLength(2);
    expect(got[1].previous_seen).toBe(new Date(NOW).toISOString());
  });
  test('cached refreshes are batched and reach the store on flush', async () => {
    const r = await rig();
    await r.send({ t: NOW });
    r.clock.now = NOW + 20 * D;
    await r.send({ t: NOW + 20 * D });
    expect((await r.store.listEdges({ limit: 10 }))[0].lastSeenMs).toBe(NOW);
    await r.det.flush();
    expect((await r.store.listEdges({ limit: 10 }))[0].lastSeenMs).toBe(NOW + 20 * D);
    // 20 d + 30 d after the first point the edge is still known thanks to the refresh.
    const fresh = new Detector(r.store, { baselineWindowMs: W, detectionWindowMs: H, learningPeriodMs: 0, clockSkewMs: 300_000, baselineScope: 'cluster', cacheMaxEdges: 10, now: () => NOW + 45 * D }, new Telemetry());
    await fresh.consume([obs({ t: NOW + 45 * D })]);
    expect(await r.alerts()).toHaveLength(1);
  });
  test('many known edges refreshed in one batch each reach the store with their own latest time', async () => {
    const r = await rig();
    const edges = Array.from({ length: 300 }, (_, i) => ({ src: `s${i}`, dst: `d${i % 7}` }));
    await r.send(...edges.map((e) => ({ ...e, t: NOW })));
    r.clock.now = NOW + 2 * D;
    await r.send(...edges.flatMap((e, i) => [1, 2, 3].map((k) => ({ ...e, t: NOW + k * H + i }))));
    expect(r.det.refreshes.size).toBe(300);
    await r.det.flush();
    const last = new Map((await r.store.listEdges({ limit: 1000 })).map((e) => [e.key.source, e.lastSeenMs]));
    expect(edges.map((e, i) => last.get(e.src) === NOW + 3 * H + i)).toEqual(edges.map(() => true));
  });
  test('forget drops the cached edge and its pending refresh, so it is not written back', async () => {
    const r = await rig();
    await r.send({ t: NOW }, { t: NOW, dst: 'other' });
    r.clock.now = NOW + D;
    await r.send({ t: NOW + D }, { t: NOW + D, dst: 'other' });
    expect(r.det.refreshes.size).toBe(2);
    const key = { scope: 'prod-eu', protocol: 'tcp' as const, source: 'frontend', dest: 'payments' };
    r.det.forget(key);
    await r.store.forgetEdge(key);
    await r.det.flush();
    expect((await r.store.listEdges({ limit: 10 })).map((e) => e.key.dest)).toEqual(['other']);
    await r.send({ t: NOW + D + 1 });
    expect((await r.alerts()).filter((a) => a.first_seen === new Date(NOW + D + 1).toISOString())).toHaveLength(1);
  });
});

describe('detector: last_seen_resolution (one store write per edge per period)', () => {
  const M = 60_000;
  const lastSeen = async (r: Rig): Promise<number> => (await r.store.listEdges({ limit: 10 }))[0].lastSeenMs;

  test('a point a minute for 20 min: the store gets about one per 5-min period and never trails by a period', async () => {
    const r = await rig({ lastSeenResolutionMs: 5 * M });
    await r.send({ t: NOW });
    await r.det.flush(); // the first flush reads the forget log and starts the cache afresh
    await r.send({ t: NOW });
    const stored = new Set<number>();
    for (let k = 1; k <= 20; k++) {
      r.clock.now = NOW + k * M;
      await r.send({ t: NOW + k * M });
      await r.det.flush();
      const s = await lastSeen(r);
      stored.add(s);
      expect(NOW + k * M - s).toBeLessThan(5 * M);
    }
    expect(stored.size).toBeGreaterThanOrEqual(4);
    expect(stored.size).toBeLessThanOrEqual(5);
    expect(await r.alerts()).toHaveLength(1);
  });

  test('detection in the process stays exact: the cache holds the last point, not the stored one', async () => {
    const r = await rig({ lastSeenResolutionMs: 40 * M });
    const edges = Array.from({ length: 50 }, (_, i) => ({ src: `s${i}` }));
    await r.send(...edges.map((e) => ({ ...e, t: NOW })));
    await r.send(...edges.map((e) => ({ ...e, t: NOW + 30_000 })));
    // 30 s into a 40-min period: only an edge whose period boundary lies in between is written.
    expect(r.det.refreshes.size).toBeLessThanOrEqual(10);
    r.clock.now = NOW + 30_000 + W;
    await r.send(...edges.map((e) => ({ ...e, t: NOW + 30_000 + W }))); // exactly one window after the last point: known
    expect(await r.alerts()).toHaveLength(50);
    r.clock.now = NOW + 30_000 + 2 * W + 1;
    await r.send({ src: 's0', t: NOW + 30_000 + 2 * W + 1 }); // one window + 1 ms of silence: new again
    expect(await r.alerts()).toHaveLength(51);
  });

  test('resolution 0 writes every later point', async () => {
    const r = await rig({ lastSeenResolutionMs: 0 });
    await r.send({ t: NOW });
    await r.send({ t: NOW + 1 });
    await r.det.flush();
    expect(await lastSeen(r)).toBe(NOW + 1);
  });

  test('capped at 1/1000 of the baseline window: a 10 s window writes every 10 ms period', async () => {
    const r = await rig({ lastSeenResolutionMs: 5 * M, baselineWindowMs: 10_000 });
    await r.send({ t: NOW });
    await r.send({ t: NOW + 9 }, { t: NOW + 25 });
    await r.det.flush();
    expect(await lastSeen(r)).toBe(NOW + 25);
    expect(lastSeenResolution(5 * M, 10_000)).toBe(10);
    expect(lastSeenResolution(5 * M, W)).toBe(5 * M);
    expect(lastSeenResolution(0, W)).toBe(0);
  });

  test('periods are shifted by the phase', () => {
    expect(samePeriod(299_999, 300_000, 0, 300_000)).toBe(false);
    expect(samePeriod(299_999, 300_000, 1, 300_000)).toBe(true);
    expect(samePeriod(299_998, 299_999, 1, 300_000)).toBe(false);
  });
});

describe('detector: scope (rule 6) and protocol', () => {
  test('scope cluster: the same pair in another cluster is new', async () => {
    const r = await rig();
    await r.send({ t: NOW, cluster: 'a' }, { t: NOW, cluster: 'b' });
    expect((await r.alerts()).map((a) => a.cluster).sort()).toEqual(['a', 'b']);
  });
  test('scope global: history ignores the cluster', async () => {
    const r = await rig({ baselineScope: 'global' });
    await r.send({ t: NOW - 2 * H, cluster: 'a' });
    await r.send({ t: NOW, cluster: 'b' });
    expect(await r.alerts()).toHaveLength(0);
  });
  test('tcp and udp are separate edges with their own rule and title', async () => {
    const r = await rig();
    await r.send({ t: NOW, proto: 'tcp' }, { t: NOW, proto: 'udp' });
    const got = await r.alerts();
    expect(got.map((a) => a.rule).sort()).toEqual(['kubernetes_newly_seen_tcp_edge', 'kubernetes_newly_seen_udp_edge']);
    expect(got.find((a) => a.rule.includes('udp'))?.title).toBe('Kubernetes newly seen UDP edge in kubernetes cluster prod-eu');
  });
});

describe('detector: filters and pruning (rule 7)', () => {
  test('a filtered edge raises no alert but enters the baseline', async () => {
    const r = await rig();
    r.det.setFilter((o) => o.dest === '(internet)');
    await r.send({ t: NOW, dst: '(internet)' });
    expect(await r.alerts()).toHaveLength(0);
    expect(await r.store.countEdges()).toBe(1);
  });
  test('prune drops edges last seen before now − window; they are new again', async () => {
    const r = await rig();
    await r.send({ t: NOW - 31 * D });
    await r.send({ t: NOW - 10 * D, src: 'recent' });
    expect(await r.store.prune(NOW - W)).toBe(1);
    expect(await r.store.countEdges()).toBe(1);
    r.det.cache.clear();
    await r.send({ t: NOW });
    const got = await r.alerts();
    expect(got).toHaveLength(1);
    expect(got[0].previous_seen).toBeNull();
  });
});
