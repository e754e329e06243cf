/**
 * Issue 14 item 5 over HTTP: GET /api/v1/edges pages with a cursor, written as read; the
 * NetworkPolicy export streams and keeps its bytes. A real service on a real SQLite file
 * preloaded with 2,600 edges.
 */
import { join } from 'node:path';
import { namespaceIndex } from '../../src/admin/edges-admin';
import { networkPoliciesYaml } from '../../src/admin/network-policy';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import type { Sighting } from '../../src/store/store';
import { httpRequest, startService, tempDir, type Running } from '../helpers/service-harness';

const W = 30 * 24 * 3_600_000;
const NOW = Date.now();
let tmp: ReturnType<typeof tempDir>;
let db: string;
let ew: Running;

interface Page {
  edges: Array<{ cluster: string; protocol: string; source: string; dest: string; last_seen: string }>;
  next_cursor: string | null;
}

beforeAll(async () => {
  tmp = tempDir('ew-edges-stream-');
  db = join(tmp.dir, 'edges.db');
  const store = new SqliteStore(db);
  await store.init([]);
  // 2,000 edges in prod-eu (some to outside the cluster), 600 in prod-us; last-seen over the last hour, many ties.
  const sightings: Sighting[] = Array.from({ length: 2600 }, (_, i) => {
    const t = NOW - 60_000 - (i % 120) * 30_000;
    const dest = i % 13 === 0 ? `api-${i % 7}.example.com` : `svc-${i % 40}`;
    return { key: { scope: i < 2000 ? 'prod-eu' : 'prod-us', protocol: i % 3 ? 'tcp' : 'udp', source: `app-${i}`, dest }, firstMs: t, lastMs: t };
  });
  await store.observe(sightings, W);
  await store.close();
  ew = await startService({ store: `sqlite:${db}` });
});

afterAll(async () => {
  await ew.stop();
  tmp.cleanup();
});

async function get(path: string): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const r = await httpRequest(ew.ports.admin, 'GET', path);
  return { status: r.status, body: r.body.toString(), headers: r.headers };
}

async function walk(query: string, limit: number): Promise<{ pages: Page[]; edges: Page['edges'] }> {
  const pages: Page[] = [];
  let cursor: string | null = '';
  while (cursor !== null) {
    const r = await get(`/api/v1/edges?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(r.status).toBe(200);
    const page = JSON.parse(r.body) as Page;
    pages.push(page);
    cursor = page.next_cursor;
    if (pages.length > 10_000) throw new Error('no end');
  }
  return { pages, edges: pages.flatMap((p) => p.edges) };
}

const id = (e: Page['edges'][number]): string => JSON.stringify([e.cluster, e.protocol, e.source, e.dest]);

test('without a cursor: the first page, most recent first, and a next_cursor', async () => {
  const r = await get('/api/v1/edges?cluster=prod-eu');
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toBe('application/json');
  const page = JSON.parse(r.body) as Page;
  expect(Object.keys(page)).toEqual(['edges', 'next_cursor']);
  expect(page.edges).toHaveLength(1000); // the default limit, across the 1,000-edge reads
  expect(typeof page.next_cursor).toBe('string');
  expect(Object.keys(page.edges[0])).toEqual(['cluster', 'protocol', 'source', 'dest', 'last_seen']);
  for (let i = 1; i < page.edges.length; i++) expect(page.edges[i].last_seen <= page.edges[i - 1].last_seen).toBe(true);
  // The same bytes JSON.stringify of the whole would give.
  expect(r.body).toBe(JSON.stringify(page));
});

test.each([
  ['cluster=prod-eu', 2000, 7],
  ['cluster=prod-us&protocol=udp', 200, 50],
  ['protocol=tcp', 1733, 1500],
  // last seen NOW − 60 s − k × 30 s, k = i mod 120: k ≤ 58 is within 30 min, 59 of every 120 (21 × 59 + 59).
  [`since=${encodeURIComponent(new Date(NOW - 30 * 60_000).toISOString())}`, 1298, 999],
])('a cursor walk over %s returns every matching edge once, pages full until the last', async (query, count, limit) => {
  const { pages, edges } = await walk(query, limit);
  expect(new Set(edges.map(id)).size).toBe(edges.length);
  expect(edges).toHaveLength(count);
  for (const p of pages.slice(0, -1)) expect(p.edges).toHaveLength(limit);
  for (let i = 1; i < edges.length; i++) expect(edges[i].last_seen <= edges[i - 1].last_seen).toBe(true);
  if (query.startsWith('cluster=prod-us')) for (const e of edges) expect([e.cluster, e.protocol]).toEqual(['prod-us', 'udp']);
});

test('a page of 100,000 edges at most, and the walk ends with next_cursor null', async () => {
  const { pages, edges } = await walk('cluster=prod-eu', 100_000);
  expect(pages).toHaveLength(1);
  expect(edges).toHaveLength(2000);
  expect(pages[0].next_cursor).toBeNull();
});

test('a bad cursor or limit is 400 with a message naming it', async () => {
  for (const bad of ['not-a-cursor', Buffer.from('[1,2]').toString('base64url'), '%%%']) {
    const r = await get(`/api/v1/edges?cursor=${encodeURIComponent(bad)}`);
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ error: expect.stringMatching(/^cursor: /) });
  }
  expect((await get('/api/v1/edges?limit=100001')).status).toBe(400);
});

test('the NetworkPolicy export streams the same YAML as before', async () => {
  const r = await get('/api/v1/networkpolicies?cluster=prod-eu');
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toBe('application/yaml; charset=utf-8');
  const store = new SqliteStore(db);
  await store.init(await store.registeredSinks());
  try {
    const edges = await store.listEdges({ scope: 'prod-eu', limit: 1_000_000 });
    const at = /\d{4}-\d\d-\d\dT[\d:.]+Z/.exec(r.body)?.[0] ?? '';
    const before = networkPoliciesYaml(edges, await namespaceIndex(store, 'prod-eu'), { cluster: 'prod-eu', nowMs: Date.parse(at) });
    expect(r.body).toBe(before);
    expect(r.body).toContain('(2000 edges,');
  } finally {
    await store.close();
  }
});

test('/metrics reports the resident memory and the edges pruned', async () => {
  const r = await get('/metrics');
  const rss = /^process_resident_memory_bytes (\d+)/m.exec(r.body);
  expect(Number(rss?.[1])).toBeGreaterThan(10 * 1024 * 1024);
  expect(r.body).toMatch(/^edgewatch_edges_pruned_total 0$/m);
});
