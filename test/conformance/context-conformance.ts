import type { EdgeKey } from '../../src/core/edge';
import type { BaselineStore, EdgeFacts } from '../../src/store/store';
import type { FeatureSuite } from './feature-suites';
import { key, sighting, T0, W } from './store-conformance';

const MIN = 60_000;

/** Facts of one sighting (and the edge recorded in the index). */
async function factsOf(store: BaselineStore, k: EdgeKey, firstMs: number): Promise<EdgeFacts> {
  return (await store.indexEdges([{ key: k, firstMs }]))[0];
}

/** What the detector does for a cache miss: index, then observe (so prune and forget find the edge). */
async function record(store: BaselineStore, k: EdgeKey, firstMs: number, lastMs = firstMs): Promise<void> {
  await store.indexEdges([{ key: k, firstMs }]);
  await store.observe([sighting(k, firstMs, lastMs, false)], W);
}

const none: EdgeFacts = { sourceFirstSeenMs: null, destFirstSeenMs: null, sourcePeers: 0, destPeers: 0, otherProtocol: false };

/**
 * The per-workload index of alert context (indexEdges, and its removal by prune and forgetEdge):
 * first-seen of each end, distinct peers, the pair on the other protocol, never counting the
 * edge itself. Issue 12 item 1.
 */
export const contextConformance: FeatureSuite = (store) => {
  describe('alert context index', () => {
    it('an unknown edge between unknown workloads: nothing known', async () => {
      expect(await factsOf(store(), key('frontend', 'payments'), T0)).toEqual(none);
    });

    it('first-seen is the earliest edge of a workload at either end; peers count distinct workloads, either direction', async () => {
      await record(store(), key('a', 'b'), T0);
      await record(store(), key('a', 'c'), T0 + MIN);
      await record(store(), key('d', 'a'), T0 - MIN); // incoming counts, and is the earliest
      await record(store(), key('a', 'c', { protocol: 'udp' }), T0 + 2 * MIN); // c again: one peer
      await record(store(), key('x', 'e'), T0 + 3 * MIN);
      await record(store(), key('y', 'e'), T0 + 4 * MIN);
      expect(await factsOf(store(), key('a', 'e'), T0 + 10 * MIN)).toEqual({
        sourceFirstSeenMs: T0 - MIN,
        destFirstSeenMs: T0 + 3 * MIN,
        sourcePeers: 3,
        destPeers: 2,
        otherProtocol: false,
      });
    });

    it('never counts the edge itself: indexing it again, concurrently or later, answers the same', async () => {
      const k = key('a', 'b');
      const all = await Promise.all(Array.from({ length: 10 }, () => factsOf(store(), k, T0)));
      expect(all).toEqual(Array.from({ length: 10 }, () => none));
      expect(await factsOf(store(), k, T0 + MIN)).toEqual(none);
      await record(store(), key('a', 'c'), T0 + 5 * MIN);
      expect(await factsOf(store(), k, T0 + 6 * MIN)).toEqual({ ...none, sourceFirstSeenMs: T0 + 5 * MIN, sourcePeers: 1 });
      // Only one link to b was recorded, however often it was indexed.
      expect(await factsOf(store(), key('z', 'a'), T0 + 7 * MIN)).toMatchObject({ destPeers: 2 });
    });

    it('first-seen of an edge is the minimum of its sightings (late data moves it back, never forward)', async () => {
      await store().indexEdges([{ key: key('a', 'b'), firstMs: T0 + MIN }]);
      await store().indexEdges([{ key: key('a', 'b'), firstMs: T0 - 5 * MIN }]);
      await store().indexEdges([{ key: key('a', 'b'), firstMs: T0 + 9 * MIN }]);
      expect(await factsOf(store(), key('a', 'c'), T0 + 10 * MIN)).toMatchObject({ sourceFirstSeenMs: T0 - 5 * MIN, sourcePeers: 1 });
      expect(await factsOf(store(), key('q', 'b'), T0 + 10 * MIN)).toMatchObject({ destFirstSeenMs: T0 - 5 * MIN, destPeers: 1 });
    });

    it('the same pair on the other protocol, same direction, is known; the reverse direction is not', async () => {
      await record(store(), key('a', 'b', { protocol: 'udp' }), T0);
      await record(store(), key('c', 'd', { protocol: 'udp' }), T0);
      expect(await factsOf(store(), key('a', 'b'), T0 + 2 * 3_600_000)).toEqual({
        sourceFirstSeenMs: T0,
        destFirstSeenMs: T0,
        sourcePeers: 1,
        destPeers: 1,
        otherProtocol: true,
      });
      expect((await factsOf(store(), key('d', 'c'), T0 + MIN)).otherProtocol).toBe(false);
      expect((await factsOf(store(), key('a', 'b', { protocol: 'udp' }), T0 + MIN)).otherProtocol).toBe(true); // tcp a→b was just indexed
    });

    it('sees earlier sightings of the same call, in order (a rollout: one new workload, several peers)', async () => {
      const w = 'checkout-v2';
      const out = await store().indexEdges([
        { key: key(w, 'p1'), firstMs: T0 },
        { key: key(w, 'p2'), firstMs: T0 + 1 },
        { key: key('p3', w), firstMs: T0 + 2 },
      ]);
      expect(out.map((f) => [f.sourceFirstSeenMs, f.sourcePeers, f.destFirstSeenMs, f.destPeers])).toEqual([
        [null, 0, null, 0],
        [T0, 1, null, 0],
        [null, 0, T0, 2],
      ]);
    });

    it('a self-loop is its own peer for the workload’s other edges, never for itself', async () => {
      expect(await factsOf(store(), key('db', 'db'), T0)).toEqual(none);
      expect(await factsOf(store(), key('db', 'db'), T0 + MIN)).toEqual(none);
      expect(await factsOf(store(), key('db', 'app'), T0 + 2 * MIN)).toMatchObject({ sourceFirstSeenMs: T0, sourcePeers: 1 });
      expect(await factsOf(store(), key('db', 'db', { protocol: 'udp' }), T0 + 3 * MIN)).toEqual({
        sourceFirstSeenMs: T0,
        destFirstSeenMs: T0,
        sourcePeers: 2,
        destPeers: 2,
        otherProtocol: true,
      });
    });

    it('scopes are apart, and any bytes in names are kept apart', async () => {
      await record(store(), key('a', 'b', { scope: 'prod-us' }), T0);
      expect(await factsOf(store(), key('a', 'c'), T0 + MIN)).toEqual(none);
      const odd = key('a|b', 'tcp>|数据库 🚀\u0000', { scope: '1:x|' });
      await record(store(), odd, T0);
      expect(await factsOf(store(), key('a|b', 'z', { scope: '1:x|' }), T0 + MIN)).toMatchObject({ sourceFirstSeenMs: T0, sourcePeers: 1 });
      expect(await factsOf(store(), key('a', 'zz', { scope: '1:x|' }), T0 + MIN)).toEqual(none);
      expect(await factsOf(store(), key('y', 'tcp>|数据库 🚀\u0000', { scope: '1:x|' }), T0 + MIN)).toMatchObject({ destFirstSeenMs: T0, destPeers: 1 });
    });

    it('prune removes the pruned edges from the index (and nothing else)', async () => {
      await record(store(), key('a', 'b'), T0 - 2 * W, T0 - 2 * W);
      await record(store(), key('c', 'a'), T0 - W, T0 - W);
      await record(store(), key('a', 'd'), T0, T0 + MIN);
      // Observed but never indexed (an edge from before the index): pruning it is harmless.
      await store().observe([sighting(key('a', 'old'), T0 - 2 * W, T0 - 2 * W, false)], W);
      expect(await store().prune(T0 - W + 1)).toBe(3);
      expect(await factsOf(store(), key('a', 'z'), T0 + 2 * MIN)).toMatchObject({ sourceFirstSeenMs: T0, sourcePeers: 1 });
      expect(await factsOf(store(), key('q', 'b'), T0 + 2 * MIN)).toMatchObject({ destFirstSeenMs: null, destPeers: 0 });
      expect(await factsOf(store(), key('c', 'y'), T0 + 2 * MIN)).toMatchObject({ sourceFirstSeenMs: null, sourcePeers: 0 });
    });

    it('prune removes many edges of many workloads, page by page', async () => {
      const keys = Array.from({ length: 1200 }, (_, i) => key(`svc-${i % 40}`, `dep-${i}`));
      await store().indexEdges(keys.map((k) => ({ key: k, firstMs: T0 - 2 * W })));
      await store().observe(keys.map((k) => sighting(k, T0 - 2 * W, T0 - 2 * W, false)), W);
      await record(store(), key('svc-0', 'kept'), T0);
      expect(await store().prune(T0 - W)).toBe(1200);
      expect(await factsOf(store(), key('svc-0', 'z'), T0 + MIN)).toMatchObject({ sourceFirstSeenMs: T0, sourcePeers: 1 });
      expect(await factsOf(store(), key('svc-1', 'z'), T0 + MIN)).toMatchObject({ sourceFirstSeenMs: null, sourcePeers: 0 });
    });

    it('forgetting an edge removes it from the index; a peer linked on the other protocol stays', async () => {
      await record(store(), key('a', 'b'), T0);
      await record(store(), key('a', 'b', { protocol: 'udp' }), T0 + MIN);
      await record(store(), key('a', 'c'), T0 + 2 * MIN);
      expect(await store().forgetEdge(key('a', 'b'))).toBe(true);
      expect(await factsOf(store(), key('a', 'z'), T0 + 3 * MIN)).toMatchObject({ sourceFirstSeenMs: T0 + MIN, sourcePeers: 2 });
      expect(await store().forgetEdge(key('a', 'b', { protocol: 'udp' }))).toBe(true);
      expect(await factsOf(store(), key('a', 'y'), T0 + 3 * MIN)).toMatchObject({ sourcePeers: 2 }); // c and z
      expect(await factsOf(store(), key('q', 'b'), T0 + 3 * MIN)).toMatchObject({ destFirstSeenMs: null, destPeers: 0 });
      // The forgotten edge, sent again, is indexed again as new.
      expect(await factsOf(store(), key('a', 'b'), T0 + 4 * MIN)).toMatchObject({ otherProtocol: false, destFirstSeenMs: T0 + 3 * MIN, destPeers: 1 });
    });
  });
};
