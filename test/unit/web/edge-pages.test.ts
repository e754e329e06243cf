/**
 * How the page reads a cluster's edges (web/src/edge-pages.ts): pages of 5000 following
 * next_cursor, at most 20,000 in all, and the answer of a server that does not page yet.
 */
import { EDGE_PAGE_LIMIT, readEdgePages, type EdgesPage } from '../../../web/src/edge-pages';
import type { EdgeJson } from '../../../web/src/types';

const edge = (i: number): EdgeJson => ({ cluster: 'c', protocol: 'tcp', source: `s${i}`, dest: `d${i}`, last_seen: '2026-11-28T10:00:00.000Z' });

interface Ask {
  limit: number;
  cursor: string | null;
}

/** A baseline of `total` edges answered the way the paging API does (the opaque cursor is an offset here). */
function pagedServer(total: number, withCursor = true): { asks: Ask[]; fetch: (limit: number, cursor: string | null) => Promise<EdgesPage> } {
  const asks: Ask[] = [];
  return {
    asks,
    fetch: (limit, cursor) => {
      asks.push({ limit, cursor });
      const from = cursor === null ? 0 : Number(cursor);
      const edges = Array.from({ length: Math.max(0, Math.min(limit, total - from)) }, (_, i) => edge(from + i));
      if (!withCursor) return Promise.resolve({ edges });
      const next = from + edges.length < total ? String(from + edges.length) : null;
      return Promise.resolve({ edges, next_cursor: next });
    },
  };
}

test('follows next_cursor until null, 5000 a page', async () => {
  const s = pagedServer(12_345);
  const got = await readEdgePages(s.fetch, 20_000);
  expect(got).toHaveLength(12_345);
  expect(new Set(got.map((e) => e.source)).size).toBe(12_345);
  expect(s.asks).toEqual([
    { limit: EDGE_PAGE_LIMIT, cursor: null },
    { limit: 5000, cursor: '5000' },
    { limit: 5000, cursor: '10000' },
  ]);
});

test('stops at the cap: the last page asks only for what is left', async () => {
  const s = pagedServer(50_000);
  const got = await readEdgePages(s.fetch, 12_000);
  expect(got).toHaveLength(12_000);
  expect(s.asks.map((a) => a.limit)).toEqual([5000, 5000, 2000]);
});

test('a small cap is one request of that size', async () => {
  const s = pagedServer(5000);
  expect(await readEdgePages(s.fetch, 1000)).toHaveLength(1000);
  expect(s.asks).toEqual([{ limit: 1000, cursor: null }]);
});

test('an empty page ends the read even with a cursor', async () => {
  const asks: number[] = [];
  const got = await readEdgePages((limit) => {
    asks.push(limit);
    return Promise.resolve({ edges: [], next_cursor: 'again' });
  }, 20_000);
  expect(got).toEqual([]);
  expect(asks).toHaveLength(1);
});

test('a server without next_cursor (the old answer): one request, or one of the whole cap when the first came back full', async () => {
  const small = pagedServer(300, false);
  expect(await readEdgePages(small.fetch, 20_000)).toHaveLength(300);
  expect(small.asks).toEqual([{ limit: 5000, cursor: null }]);
  const big = pagedServer(30_000, false);
  expect(await readEdgePages(big.fetch, 20_000)).toHaveLength(20_000);
  expect(big.asks).toEqual([
    { limit: 5000, cursor: null },
    { limit: 20_000, cursor: null },
  ]);
});
