/**
 * Forget across replicas at the detector: each replica applies the store's forget log at its
 * flush (one read per flush), so an edge forgotten anywhere alerts again at its next point, once.
 */
import { forgetEdges } from '../../../src/admin/edges-admin';
import type { EdgeKey } from '../../../src/core/edge';
import { Detector } from '../../../src/detect/detector';
import { ForgetFence } from '../../../src/detect/forget-fence';
import { MemoryStore } from '../../../src/store/memory/memory-store';
import type { ForgetLogPage, ObserveOutcome, Sighting, StormPolicy } from '../../../src/store/store';
import { Telemetry } from '../../../src/telemetry/metrics';
import { obs, type ObsSpec } from '../../helpers/observations';

const H = 3_600_000;
const W = 30 * 24 * H;
const NOW = Date.UTC(2026, 10, 28, 10, 0, 0);
const KEY: EdgeKey = { scope: 'prod-eu', protocol: 'tcp', source: 'frontend', dest: 'payments' };

/** A MemoryStore whose observe answers can be held back, and whose log can be made to report truncation. */
class TestStore extends MemoryStore {
  hold: Promise<void> | null = null;
  truncateNext = false;
  reads = 0;
  override async observe(sightings: Sighting[], windowMs: number, storm?: StormPolicy): Promise<ObserveOutcome[]> {
    const out = await super.observe(sightings, windowMs, storm);
    if (this.hold) await this.hold; // decided now, answered later
    return out;
  }
  override async forgottenSince(cursor: string | null): Promise<ForgetLogPage> {
    this.reads++;
    const page = await super.forgottenSince(cursor);
    if (!this.truncateNext) return page;
    this.truncateNext = false;
    return { cursor: page.cursor, keys: [], truncated: true };
  }
}

function replica(store: MemoryStore): { det: Detector; send: (...specs: ObsSpec[]) => Promise<{ alerts: number }> } {
  const det = new Detector(
    store,
    { baselineWindowMs: W, detectionWindowMs: H, learningPeriodMs: 0, clockSkewMs: 300_000, baselineScope: 'cluster', cacheMaxEdges: 1000, now: () => NOW },
    new Telemetry(),
  );
  return { det, send: (...specs) => det.consume(specs.map(obs)) };
}

async function twoReplicas(): Promise<{ store: TestStore; a: ReturnType<typeof replica>; b: ReturnType<typeof replica>; alerts: () => Promise<number> }> {
  const store = new TestStore();
  await store.init(['test']);
  const a = replica(store);
  const b = replica(store);
  // Both take their position in the log (as the service does once the store is ready), then learn the edge.
  await Promise.all([a.det.syncForgets(), b.det.syncForgets()]);
  expect((await a.send({ t: NOW - 60_000 })).alerts).toBe(1);
  expect((await b.send({ t: NOW - 30_000 })).alerts).toBe(0);
  expect(b.det.cache.get(KEY)).toBe(NOW - 30_000);
  return { store, a, b, alerts: async () => (await store.listAlerts(100)).length };
}

describe('forget across replicas (the forget log, read at each flush)', () => {
  test('forgotten in the store (the CLI): another replica drops it at its next flush, and its next point alerts once', async () => {
    const { store, a, b, alerts } = await twoReplicas();
    expect(await store.forgetEdge(KEY)).toBe(true);
    // Until its flush, B still knows the edge from its cache: that is the bound.
    expect((await b.send({ t: NOW - 20_000 })).alerts).toBe(0);
    await b.det.flush();
    expect(b.det.cache.get(KEY)).toBeUndefined();
    expect((await b.send({ t: NOW - 10_000 })).alerts).toBe(1);
    await a.det.flush();
    expect((await a.send({ t: NOW })).alerts).toBe(0); // the edge is known again: one alert in all
    expect(await alerts()).toBe(2);
  });

  test('forgotten through replica A (the admin API): A drops it at once, B at its flush; one alert', async () => {
    const { a, b, alerts } = await twoReplicas();
    const forgotten = await forgetEdges(a.det['store'], { cluster: 'prod-eu', source: 'frontend', dest: 'payments', protocol: 'tcp' }, 'cluster', (k) => a.det.forget(k));
    expect(forgotten).toEqual([KEY]);
    expect(a.det.cache.get(KEY)).toBeUndefined();
    await b.det.flush();
    expect((await b.send({ t: NOW - 10_000 })).alerts).toBe(1);
    expect((await a.send({ t: NOW })).alerts).toBe(0);
    expect(await alerts()).toBe(2);
  });

  test('a buffered refresh flushed after the forget does not write the edge back', async () => {
    const { store, b } = await twoReplicas();
    expect((await b.send({ t: NOW - 5_000 })).alerts).toBe(0);
    expect(b.det.refreshes.size).toBe(1);
    await store.forgetEdge(KEY);
    await b.det.refreshes.flush(); // the refresh lands after the forget (as if read before it)
    expect(await store.countEdges()).toBe(0);
  });

  test('one log read per flush, none per point; an empty log keeps the cache', async () => {
    const { store, b } = await twoReplicas();
    const before = store.reads;
    for (let i = 0; i < 50; i++) await b.send({ t: NOW - 29_000 + i });
    expect(store.reads).toBe(before);
    await b.det.flush();
    expect(store.reads).toBe(before + 1);
    expect(b.det.cache.get(KEY)).toBe(NOW - 29_000 + 49);
  });

  test('a replica that fell off the log (truncated) drops its whole cache; the edge then costs one lookup, no alert', async () => {
    const { store, b, alerts } = await twoReplicas();
    store.truncateNext = true;
    await b.det.flush();
    expect(b.det.cache.size).toBe(0);
    expect((await b.send({ t: NOW - 10_000 })).alerts).toBe(0);
    expect(b.det.cache.get(KEY)).toBe(NOW - 10_000);
    expect(await alerts()).toBe(1);
  });

  test('the first read of the log (no position yet) drops what was cached before it', async () => {
    const store = new TestStore();
    await store.init(['test']);
    const b = replica(store);
    await b.send({ t: NOW - 60_000 });
    expect(b.det.cache.size).toBe(1);
    await b.det.flush();
    expect(b.det.cache.size).toBe(0);
  });

  test('a store answer given before a forget and received after it is not cached', async () => {
    const { store, b, alerts } = await twoReplicas();
    b.det.cache.clear(); // B will ask the store about the edge
    let release = (): void => undefined;
    store.hold = new Promise((r) => (release = r));
    const inFlight = b.send({ t: NOW - 20_000 }); // the store answers "known" now …
    await new Promise((r) => setImmediate(r));
    await store.forgetEdge(KEY); // … the edge is forgotten …
    await b.det.flush(); // … B applies the forget …
    store.hold = null;
    release(); // … and only then gets the stale answer.
    expect((await inFlight).alerts).toBe(0);
    expect(b.det.cache.get(KEY)).toBeUndefined();
    expect((await b.send({ t: NOW - 10_000 })).alerts).toBe(1);
    expect(await alerts()).toBe(2);
  });
});

describe('ForgetFence', () => {
  const key = (dest: string): EdgeKey => ({ ...KEY, dest });

  test('an answer asked before a forget, or up to the grace after it, is stale; later ones are not', () => {
    const clock = { t: 1_000 };
    const fence = new ForgetFence(100, 10_000, () => clock.t);
    const before = fence.begin(); // in flight while the forget is applied
    clock.t = 1_120;
    fence.forget(key('a'));
    clock.t = 1_170;
    const withinGrace = fence.begin(); // may still meet a store that has not deleted it yet (Redis: log first)
    clock.t = 1_300;
    const after = fence.begin();
    expect(fence.stale(key('a'), before)).toBe(true);
    expect(fence.stale(key('a'), withinGrace)).toBe(true);
    expect(fence.stale(key('a'), after)).toBe(false);
    expect(fence.stale(key('b'), before)).toBe(false);
  });

  test('clear makes every answer asked before it stale, none after', () => {
    const clock = { t: 0 };
    const fence = new ForgetFence(100, 10_000, () => clock.t);
    const before = fence.begin();
    clock.t = 10;
    fence.clear();
    clock.t = 20;
    expect(fence.stale(key('x'), before)).toBe(true);
    expect(fence.stale(key('x'), fence.begin())).toBe(false);
  });

  test('forgets are forgotten after keepMs', () => {
    const clock = { t: 0 };
    const fence = new ForgetFence(100, 1_000, () => clock.t);
    fence.forget(key('a'));
    clock.t = 2_000;
    fence.forget(key('b')); // prunes a
    expect(fence.stale(key('a'), -50)).toBe(false);
    expect(fence.stale(key('b'), 1_950)).toBe(true);
  });
});
