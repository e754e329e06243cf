/**
 * Warm restart: a service started on a SQLite file that already holds a baseline refills its
 * known-edge cache from the store in the background (cache_warm), so the known edges' points
 * are answered without store lookups; with cache_warm false each first point asks the store.
 */
import { status } from '@grpc/grpc-js';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { reducerRequest } from '../helpers/otlp-fixtures';
import { aligned, closeGrpcClients, grpcExport, httpRequest, startService, tempDir, type Running } from '../helpers/service-harness';

const CLUSTER = 'warm-eu';
const EDGES = 3000;
const W = 30 * 24 * 3_600_000;

let dir: { dir: string; cleanup: () => void };
let dbPath: string;
let now: number;

beforeAll(async () => {
  dir = tempDir('ew-warm-');
  dbPath = join(dir.dir, 'edgewatch.db');
  now = aligned(Date.now());
  const store = new SqliteStore(dbPath);
  await store.init([]);
  const sightings = Array.from({ length: EDGES }, (_, i) => ({ key: { scope: CLUSTER, protocol: 'tcp' as const, source: `w-${i}`, dest: 'db' }, firstMs: now - 60_000 - i, lastMs: now - 60_000 - i }));
  await store.observe(sightings, W);
  await store.close();
});

afterAll(() => {
  closeGrpcClients();
  dir.cleanup();
});

async function metric(ew: Running, series: string): Promise<number> {
  const body = (await httpRequest(ew.ports.admin, 'GET', '/metrics')).body.toString();
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

async function until(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function sendKnown(ew: Running, n: number): Promise<void> {
  const edges = Array.from({ length: n }, (_, i) => ({ src: `w-${i * 7}`, dst: 'db' }));
  const body = reducerRequest({ cluster: CLUSTER, edges, names: ['tcp.packets'], metricsPerRequest: n, timeMs: now }).protobuf;
  expect((await grpcExport(ew.ports.grpc, body)).code).toBe(status.OK);
}

test('cache_warm (default): the cache is refilled from the store, and known points never ask it', async () => {
  const ew = await startService({ store: `sqlite:${dbPath}` });
  try {
    expect(ew.cfg.cacheWarm).toBe('true');
    await until('the warm fill', async () => ew.svc.detector.cache.size === EDGES && (await metric(ew, 'edgewatch_cache_warming')) === 0);
    await sendKnown(ew, 200);
    expect(await metric(ew, 'edgewatch_cache_lookups_total{result="hit"}')).toBe(200);
    expect(await metric(ew, 'edgewatch_cache_lookups_total{result="miss"}')).toBe(0);
    expect(await ew.svc.store.listAlerts(10)).toEqual([]);
  } finally {
    await ew.stop();
  }
});

test('cache_warm false: the cache starts empty, each known edge costs one store lookup (and stays known)', async () => {
  const ew = await startService({ store: `sqlite:${dbPath}`, cacheWarm: 'false' });
  try {
    await sendKnown(ew, 200);
    expect(await metric(ew, 'edgewatch_cache_lookups_total{result="miss"}')).toBe(200);
    expect(ew.svc.detector.cache.size).toBe(200);
    expect(await ew.svc.store.listAlerts(10)).toEqual([]);
  } finally {
    await ew.stop();
  }
});

/** Points at `now` for edges w-from … w-(from + n − 1), stored a minute (and i ms) before. */
async function sendLater(ew: Running, from: number, n: number): Promise<void> {
  const edges = Array.from({ length: n }, (_, i) => ({ src: `w-${from + i}`, dst: 'db' }));
  const body = reducerRequest({ cluster: CLUSTER, edges, names: ['tcp.packets'], metricsPerRequest: n, timeMs: now }).protobuf;
  expect((await grpcExport(ew.ports.grpc, body)).code).toBe(status.OK);
}

async function storedAtNow(ew: Running, from: number, n: number): Promise<number> {
  const rows = await ew.svc.store.listEdges({ limit: EDGES });
  return rows.filter((r) => r.key.source.startsWith('w-') && Number(r.key.source.slice(2)) >= from && Number(r.key.source.slice(2)) < from + n && r.lastSeenMs === now).length;
}

test('last_seen_resolution (default 5m): a later point in its edge\'s period stays in the cache, one that opens a period is written', async () => {
  const ew = await startService({ store: `sqlite:${dbPath}` });
  try {
    expect(ew.cfg.lastSeenResolutionMs).toBe(300_000);
    await until('the warm fill', async () => ew.svc.detector.cache.size === EDGES && (await metric(ew, 'edgewatch_cache_warming')) === 0);
    await sendLater(ew, 2000, 200);
    const written = await metric(ew, 'edgewatch_last_seen_refreshes_total{result="written"}');
    const within = await metric(ew, 'edgewatch_last_seen_refreshes_total{result="within_period"}');
    // Each edge's stored point is ~1 min old: about 1 in 5 has a period boundary in between.
    expect(written + within).toBe(200);
    expect(written).toBeGreaterThan(0);
    expect(within).toBeGreaterThan(written);
    await ew.svc.detector.flush();
    expect(await storedAtNow(ew, 2000, 200)).toBe(written);
  } finally {
    await ew.stop();
  }
});

test('last_seen_resolution 0: every later point is written', async () => {
  const ew = await startService({ store: `sqlite:${dbPath}`, lastSeenResolutionMs: 0 });
  try {
    await until('the warm fill', async () => ew.svc.detector.cache.size === EDGES && (await metric(ew, 'edgewatch_cache_warming')) === 0);
    await sendLater(ew, 2500, 200);
    expect(await metric(ew, 'edgewatch_last_seen_refreshes_total{result="written"}')).toBe(200);
    await ew.svc.detector.flush();
    expect(await storedAtNow(ew, 2500, 200)).toBe(200);
  } finally {
    await ew.stop();
  }
});
