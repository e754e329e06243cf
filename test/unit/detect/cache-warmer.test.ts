import type { EdgeKey } from '../../../src/core/edge';
import { Detector } from '../../../src/detect/detector';
import { MemoryStore } from '../../../src/store/memory/memory-store';
import type { EdgePage, EdgeScan } from '../../../src/store/store';
import { Telemetry } from '../../../src/telemetry/metrics';
import { obs } from '../../helpers/observations';

const H = 3_600_000;
const D = 24 * H;
const W = 30 * D;
const NOW = Date.UTC(2026, 10, 28, 10, 0, 0);

const key = (i: number): EdgeKey => ({ scope: 'prod-eu', protocol: 'tcp', source: `app-${i}`, dest: 'db' });

/** A memory store that counts observe calls and can act between reading a scan page and answering it. */
class Store extends MemoryStore {
  observed = 0;
  beforeAnswer: ((page: EdgePage, n: number) => Promise<void>) | undefined;
  private pages = 0;

  override async observe(...args: Parameters<MemoryStore['observe']>): ReturnType<MemoryStore['observe']> {
    this.observed++;
    return super.observe(...args);
  }

  override async scanEdges(q: EdgeScan): Promise<EdgePage> {
    const page = await super.scanEdges(q);
    await this.beforeAnswer?.(page, this.pages++);
    return page;
  }
}

/** `n` edges in the store, edge i last seen i minutes before NOW (edge 0 the most recent). */
async function rig(n: number, cacheMaxEdges: number): Promise<{ store: Store; det: Detector }> {
  const store = new Store();
  await store.init(['test']);
  await store.observe(
    Array.from({ length: n }, (_, i) => ({ key: key(i), firstMs: NOW - i * 60_000, lastMs: NOW - i * 60_000 })),
    W,
  );
  store.observed = 0;
  const det = new Detector(store, { baselineWindowMs: W, detectionWindowMs: H, learningPeriodMs: 0, clockSkewMs: 300_000, baselineScope: 'cluster', cacheMaxEdges, now: () => NOW }, new Telemetry());
  return { store, det };
}

describe('warm fill of the known-edge cache', () => {
  test('fills from the store in pages; afterwards points of those edges never ask the store', async () => {
    const { store, det } = await rig(250, 1000);
    expect(await det.warmCache({ pageSize: 40 })).toEqual({ edges: 250, pages: 7, full: false, stopped: false });
    expect(det.cache.size).toBe(250);
    await det.consume(Array.from({ length: 250 }, (_, i) => obs({ src: `app-${i}`, dst: 'db', t: NOW })));
    expect(store.observed).toBe(0);
    expect(await store.listAlerts(10)).toEqual([]);
  });

  test('most recent edges first, and it stops at cache_max_edges without evicting', async () => {
    const { det } = await rig(100, 30);
    const r = await det.warmCache({ pageSize: 7 });
    expect(r.full).toBe(true);
    expect(det.cache.size).toBe(30);
    expect(det.cache.evictions).toBe(0);
    for (let i = 0; i < 30; i++) expect(det.cache.get(key(i))).toBe(NOW - i * 60_000);
    for (let i = 30; i < 100; i++) expect(det.cache.get(key(i))).toBeUndefined();
  });

  test('edges last seen before the baseline window are left out', async () => {
    const { store, det } = await rig(3, 100);
    await store.observe([{ key: key(99), firstMs: NOW - W - 1, lastMs: NOW - W - 1 }], W);
    expect((await det.warmCache()).edges).toBe(3);
    expect(det.cache.get(key(99))).toBeUndefined();
  });

  test('an edge forgotten while its page was on the way stays out of the cache, and its next point alerts', async () => {
    const { store, det } = await rig(50, 100);
    store.beforeAnswer = async (page, n) => {
      if (n !== 1) return;
      // The page was read before the forget; the admin API drops the edge locally, then in the store.
      const k = page.edges[3].key;
      det.forget(k);
      await store.forgetEdge(k);
    };
    await det.warmCache({ pageSize: 10 });
    expect(det.cache.size).toBe(49);
    expect(det.cache.get(key(13))).toBeUndefined();
    await det.consume([obs({ src: 'app-13', dst: 'db', t: NOW })]);
    expect((await store.listAlerts(10)).map((a) => a.alert.source.workload)).toEqual(['app-13']);
  });

  test('a forget by another process, read from the forget log by a flush during the fill, also stays out', async () => {
    const { store, det } = await rig(50, 100);
    store.beforeAnswer = async (page, n) => {
      if (n !== 2) return;
      await store.forgetEdge(page.edges[0].key); // another replica or the CLI: only the store and its log
      await det.flush();
    };
    await det.warmCache({ pageSize: 10 });
    expect(det.cache.size).toBe(49);
    expect(det.cache.get(key(20))).toBeUndefined();
  });

  test('the flush after the fill keeps what it filled (the forget log position was taken first)', async () => {
    const { det } = await rig(20, 100);
    await det.warmCache();
    await det.flush();
    expect(det.cache.size).toBe(20);
  });

  test('stops when told to (shutdown)', async () => {
    const { det } = await rig(100, 1000);
    let pages = 0;
    const r = await det.warmCache({ pageSize: 10, stopped: () => ++pages > 3 });
    expect(r).toMatchObject({ stopped: true, pages: 3, edges: 30 });
  });
});
