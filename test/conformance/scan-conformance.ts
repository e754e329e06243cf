import { edgeId, type EdgeKey } from '../../src/core/edge';
import type { BaselineStore, EdgeRecord, EdgeScan } from '../../src/store/store';
import type { FeatureSuite } from './feature-suites';
import { key, sighting, T0, W } from './store-conformance';

const MIN = 60_000;

type Filters = Pick<EdgeScan, 'scope' | 'protocol'>;

/** Every page of a scan from the start; checks the per-page rules on the way. */
async function scanAll(store: BaselineStore, limit: number, sinceMs?: number, between?: (page: number, edges: EdgeRecord[]) => Promise<void>, filters: Filters = {}): Promise<EdgeRecord[]> {
  const out: EdgeRecord[] = [];
  let cursor: string | undefined;
  for (let page = 0; ; page++) {
    const p = await store.scanEdges({ cursor, limit, sinceMs, ...filters });
    expect(p.edges.length).toBeLessThanOrEqual(limit);
    if (p.cursor !== null) expect(p.edges.length).toBeGreaterThan(0);
    out.push(...p.edges);
    if (p.cursor === null) return out;
    cursor = p.cursor;
    await between?.(page, out);
    if (page > 10_000) throw new Error('scan does not end');
  }
}

function expectMostRecentFirst(edges: EdgeRecord[]): void {
  for (let i = 1; i < edges.length; i++) expect(edges[i].lastSeenMs).toBeLessThanOrEqual(edges[i - 1].lastSeenMs);
}

const ids = (edges: { key: EdgeKey }[]): string[] => edges.map((e) => edgeId(e.key)).sort();

/** `n` edges over two scopes and both protocols, names with separators, unicode and NUL; last-seen from `lastSeen(i)`. */
async function writeEdges(store: BaselineStore, n: number, lastSeen: (i: number) => number): Promise<EdgeRecord[]> {
  const odd = ['a|b', 'ünï', 'x\u0000y', '1:2', '', 'é'];
  const edges = Array.from({ length: n }, (_, i) => ({
    key: key(`src-${i % 17}${odd[i % odd.length]}`, `dst-${i}`, { scope: i % 3 ? 'prod-eu' : 'prod-us', protocol: i % 2 ? 'udp' : 'tcp' }),
    lastSeenMs: lastSeen(i),
  }));
  for (let i = 0; i < edges.length; i += 100) {
    await store.observe(edges.slice(i, i + 100).map((e) => sighting(e.key, e.lastSeenMs, e.lastSeenMs, false)), W);
  }
  return edges;
}

/**
 * scanEdges: the baseline page by page, most recent last-seen first, with an opaque cursor (the
 * known-edge cache's warm fill after a restart reads it so).
 */
export const scanConformance: FeatureSuite = (store) => {
  describe('scanEdges', () => {
    it('an empty baseline is one empty page', async () => {
      expect(await store().scanEdges({ limit: 10 })).toEqual({ edges: [], cursor: null });
    });

    it.each([1, 7, 50, 1000])('returns every edge once, most recent first, in pages of at most %i', async (limit) => {
      // Many ties (the reducer's 30 s grid): 120 edges over 9 distinct times.
      const written = await writeEdges(store(), 120, (i) => T0 + (i % 9) * 30_000);
      const got = await scanAll(store(), limit);
      expectMostRecentFirst(got);
      expect(ids(got)).toEqual(ids(written));
      const last = new Map(written.map((e) => [edgeId(e.key), e.lastSeenMs]));
      for (const e of got) expect(e.lastSeenMs).toBe(last.get(edgeId(e.key)));
    });

    it('sinceMs keeps only edges last seen at or after it', async () => {
      const written = await writeEdges(store(), 60, (i) => T0 + i * MIN);
      const since = T0 + 40 * MIN;
      const got = await scanAll(store(), 8, since);
      expectMostRecentFirst(got);
      expect(ids(got)).toEqual(ids(written.filter((e) => e.lastSeenMs >= since)));
      expect(got[got.length - 1].lastSeenMs).toBe(since);
    });

    it.each<[string, Filters]>([
      ['scope', { scope: 'prod-us' }],
      ['protocol', { protocol: 'udp' }],
      ['scope and protocol', { scope: 'prod-eu', protocol: 'tcp' }],
      ['a scope with no edges', { scope: 'prod-eu|tcp' }],
    ])('a %s filter keeps only matching edges, pages full until the last', async (_, filters) => {
      const written = await writeEdges(store(), 150, (i) => T0 + (i % 11) * 30_000);
      const since = T0 + 30_000;
      for (const limit of [1, 9, 200]) {
        const pages: number[] = [];
        const got = await scanAll(store(), limit, since, async (_page, sofar) => void pages.push(sofar.length), filters);
        expectMostRecentFirst(got);
        const want = written.filter((e) => e.lastSeenMs >= since && (filters.scope === undefined || e.key.scope === filters.scope) && (filters.protocol === undefined || e.key.protocol === filters.protocol));
        expect(ids(got)).toEqual(ids(want));
        // Every page but the last is full: a filtered page reads on rather than coming short.
        pages.forEach((n, i) => expect(n).toBe((i + 1) * limit));
      }
    });

    it('edges changed during the scan never repeat an edge, and every unchanged edge still comes once', async () => {
      // All at one time: the cursor sits inside one block of ties, where finding the place again is hardest.
      const written = await writeEdges(store(), 90, () => T0);
      const changed = new Set<string>();
      const got = await scanAll(store(), 10, undefined, async (page, sofar) => {
        const boundary = sofar[sofar.length - 1].key;
        const unread = written.find((e) => !changed.has(edgeId(e.key)) && !sofar.some((s) => edgeId(s.key) === edgeId(e.key)));
        if (page === 0 || page === 3) {
          // The edge the cursor points at is raised (it moves ahead of the cursor), and an unread one too.
          await store().observe([sighting(boundary, T0 + MIN, T0 + MIN, false)], W);
          changed.add(edgeId(boundary));
          if (unread) {
            await store().observe([sighting(unread.key, T0 + MIN, T0 + MIN, false)], W);
            changed.add(edgeId(unread.key));
          }
        }
        if (page === 1 || page === 4) {
          // The edge the cursor points at is forgotten, and an unread one too.
          await store().forgetEdge(boundary);
          changed.add(edgeId(boundary));
          if (unread) {
            await store().forgetEdge(unread.key);
            changed.add(edgeId(unread.key));
          }
        }
      });
      expect(new Set(ids(got)).size).toBe(got.length);
      const unchanged = written.filter((e) => !changed.has(edgeId(e.key)));
      expect(ids(got.filter((e) => !changed.has(edgeId(e.key))))).toEqual(ids(unchanged));
      expect(changed.size).toBeGreaterThanOrEqual(6);
    });

    it('a cursor it did not issue is refused as an invalid argument', async () => {
      await writeEdges(store(), 3, (i) => T0 + i);
      await expect(store().scanEdges({ limit: 2, cursor: 'not a cursor' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    });
  });
};
