import { edgeId } from '../../src/core/edge';
import type { FeatureSuite } from './feature-suites';
import { key, sighting, T0, W } from './store-conformance';

const MIN = 60_000;
/** More than one slice of every store (PRUNE_SLICE_EDGES on SQLite and memory, 500 per shard page on Redis). */
const EXPIRED = 4400;
const KEPT = 600;

/**
 * prune in slices (issue 14 item 5): a prune of thousands of edges deletes in bounded slices,
 * reports each as it goes, and ends exactly where a one-shot prune would.
 */
export const pruneConformance: FeatureSuite = (store) => {
  describe('prune in slices', () => {
    it('prunes more than one slice: the same edges as one delete, index entries with them, progress per slice', async () => {
      const cut = T0;
      // Expired and kept edges interleaved over 50 workloads (self-loops among them), last-seen spread on both sides of the cut.
      const edges = Array.from({ length: EXPIRED + KEPT }, (_, i) => {
        const expired = i % 8 !== 0 || i >= 8 * KEPT;
        const [src, dst] = i % 97 === 0 ? [`self-${i}`, `self-${i}`] : [`w-${i % 50}`, `peer-${i}`];
        return { key: key(src, dst, { protocol: i % 2 ? 'udp' : 'tcp' }), lastSeenMs: expired ? cut - 1 - (i % 7) * MIN : cut + (i % 5) * MIN };
      });
      expect(edges.filter((e) => e.lastSeenMs < cut)).toHaveLength(EXPIRED);
      for (let i = 0; i < edges.length; i += 500) {
        const chunk = edges.slice(i, i + 500);
        await store().indexEdges(chunk.map((e) => ({ key: e.key, firstMs: e.lastSeenMs })));
        await store().observe(chunk.map((e) => sighting(e.key, e.lastSeenMs, e.lastSeenMs, false)), W);
      }
      const slices: number[] = [];
      expect(await store().prune(cut, (n) => slices.push(n))).toBe(EXPIRED);
      expect(slices.length).toBeGreaterThan(1);
      expect(slices.reduce((a, b) => a + b, 0)).toBe(EXPIRED);
      for (const n of slices) expect(n).toBeGreaterThan(0);
      expect(await store().countEdges()).toBe(KEPT);
      const left = await store().scanEdges({ limit: 10_000 });
      expect(left.edges.map((e) => edgeId(e.key)).sort()).toEqual(edges.filter((e) => e.lastSeenMs >= cut).map((e) => edgeId(e.key)).sort());
      // The index lost exactly the pruned edges: w-1 (odd i only) kept none, w-0 kept some.
      const facts = await store().indexEdges([{ key: key('w-1', 'probe'), firstMs: cut + DAY_MS }]);
      expect(facts[0]).toMatchObject({ sourceFirstSeenMs: null, sourcePeers: 0 });
      const kept = edges.filter((e) => e.lastSeenMs >= cut && e.key.source === 'w-0');
      const w0 = await store().indexEdges([{ key: key('w-0', 'probe'), firstMs: cut + DAY_MS }]);
      expect(w0[0].sourcePeers).toBe(new Set(kept.map((e) => e.key.dest)).size);
      // Self-loops: both index rows go with a pruned one (i = 97), both stay with a kept one (i = 776).
      const loops = await store().indexEdges([{ key: key('self-97', 'probe'), firstMs: cut + DAY_MS }, { key: key('self-776', 'probe'), firstMs: cut + DAY_MS }]);
      expect(loops[0]).toMatchObject({ sourceFirstSeenMs: null, sourcePeers: 0 });
      expect(loops[1]).toMatchObject({ sourceFirstSeenMs: cut + (776 % 5) * MIN, sourcePeers: 1 });
      expect(await store().prune(cut, (n) => slices.push(n))).toBe(0);
    });
  });
};

const DAY_MS = 24 * 60 * MIN;
