/**
 * `npm run bench:redis-memory`: Redis memory per baseline edge (issue 14 item 3). For each E it
 * starts its own redis-server, writes E edges through the built RedisStore as the detector does
 * for new edges (observe, then indexEdges: bench/scale-store.ts's names, E / 2 workload pairs ×
 * TCP and UDP, so every workload has one peer), and prints the `used_memory` (INFO memory) delta
 * per edge after each step: the edges ZSETs alone, then the per-workload index on top. MEMORY
 * USAGE of the 16 edges ZSETs (all members) and of a sample of index keys splits it further.
 *
 *   BENCH_MEMORY_EDGES  comma-separated E (default 100000,1000000)
 */
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { BaselineStore, Sighting } from '../src/store/store';
import { pairNames } from './scale-workload';
import { startRedis } from '../test/helpers/redis-server';

// The build's store (dist/), as edgewatch runs it: it finds the Redis store's Lua scripts from there.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { openStore } = require(join(__dirname, '../../dist/store/open-store')) as typeof import('../src/store/open-store');

const SIZES = (process.env.BENCH_MEMORY_EDGES ?? '100000,1000000').split(',').map(Number);
const BATCH = 10_000;
const WINDOW_MS = 30 * 24 * 3_600_000;
const CLUSTER = 'bench-cluster';
/** Index keys whose MEMORY USAGE is read (SCAN order: close to a random sample). */
const INDEX_SAMPLE = 2000;

export interface MemoryRow {
  edges: number;
  edgesBytes: number;
  indexBytes: number;
  totalBytes: number;
  edgesUsage: number;
  indexKeys: number;
  indexKeyBytes: number;
  encodings: string;
}

async function usedMemory(r: Redis): Promise<number> {
  const info = await r.info('memory');
  const m = /^used_memory:(\d+)/m.exec(info);
  if (!m) throw new Error('no used_memory in INFO memory');
  return Number(m[1]);
}

/** Sightings of pairs [from, to) × TCP and UDP, first and last seen within the last hour. */
function sightings(from: number, to: number, nowMs: number): Sighting[] {
  const out: Sighting[] = [];
  for (let p = from; p < to; p++) {
    const { src, dst } = pairNames(p);
    const t = nowMs - 60_000 - (p % 3600) * 1000;
    for (const protocol of ['tcp', 'udp'] as const) out.push({ key: { scope: CLUSTER, protocol, source: src, dest: dst }, firstMs: t, lastMs: t });
  }
  return out;
}

async function writeAll(pairs: number, step: (batch: Sighting[]) => Promise<unknown>, nowMs: number): Promise<void> {
  const per = BATCH / 2;
  for (let p = 0; p < pairs; p += per) await step(sightings(p, Math.min(pairs, p + per), nowMs));
}

/** MEMORY USAGE (all members) of every `{ew:N}:edges`, and their encodings. */
async function edgesUsage(r: Redis): Promise<{ bytes: number; encodings: string }> {
  let bytes = 0;
  const enc = new Map<string, number>();
  for (let n = 0; n < 16; n++) {
    const key = `{ew:${n}}:edges`;
    bytes += Number(await r.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
    const e = String(await r.call('OBJECT', 'ENCODING', key));
    enc.set(e, (enc.get(e) ?? 0) + 1);
  }
  return { bytes, encodings: [...enc].map(([e, c]) => `${c}×${e}`).join(' ') };
}

/** Index keys counted by SCAN, and the mean MEMORY USAGE of a sample of them. */
async function indexUsage(r: Redis): Promise<{ keys: number; meanBytes: number }> {
  let cursor = '0';
  let keys = 0;
  let sampled = 0;
  let sum = 0;
  do {
    const [next, batch] = await r.scan(cursor, 'MATCH', '*:wl-*', 'COUNT', 10_000);
    cursor = next;
    keys += batch.length;
    for (const k of batch) {
      if (sampled >= INDEX_SAMPLE) break;
      sum += Number(await r.call('MEMORY', 'USAGE', k, 'SAMPLES', '0'));
      sampled++;
    }
  } while (cursor !== '0');
  return { keys, meanBytes: sampled === 0 ? 0 : sum / sampled };
}

export async function measure(edges: number): Promise<MemoryRow> {
  const pairs = Math.ceil(edges / 2);
  const server = await startRedis();
  const raw = new Redis(server.url);
  const store: BaselineStore = openStore(server.url, { redisKeyPrefix: 'ew' });
  try {
    await store.init([]);
    const nowMs = Date.now();
    // Load the scripts (EVALSHA falls back to EVAL once) before the first reading.
    await store.observe(sightings(pairs, pairs + 1, nowMs), WINDOW_MS);
    await store.indexEdges(sightings(pairs, pairs + 1, nowMs));
    const { src, dst } = pairNames(pairs);
    for (const protocol of ['tcp', 'udp'] as const) await store.forgetEdge({ scope: CLUSTER, protocol, source: src, dest: dst });
    const m0 = await usedMemory(raw);
    await writeAll(pairs, (b) => store.observe(b, WINDOW_MS), nowMs);
    const m1 = await usedMemory(raw);
    await writeAll(pairs, (b) => store.indexEdges(b), nowMs);
    const m2 = await usedMemory(raw);
    const n = await store.countEdges();
    if (n !== 2 * pairs) throw new Error(`wrote ${n} edges, expected ${2 * pairs}`);
    const eu = await edgesUsage(raw);
    const iu = await indexUsage(raw);
    return {
      edges: n,
      edgesBytes: (m1 - m0) / n,
      indexBytes: (m2 - m1) / n,
      totalBytes: (m2 - m0) / n,
      edgesUsage: eu.bytes / n,
      indexKeys: iu.keys,
      indexKeyBytes: iu.meanBytes,
      encodings: eu.encodings,
    };
  } finally {
    await store.close();
    raw.disconnect();
    await server.dispose();
  }
}

async function main(): Promise<void> {
  const rows: MemoryRow[] = [];
  for (const e of SIZES) {
    const row = await measure(e);
    rows.push(row);
    console.log(`E=${row.edges}: done`);
  }
  console.log('\nRedis used_memory per edge (bytes; INFO memory delta / E)');
  console.log('| edges | edges ZSETs | per-workload index | total | MEMORY USAGE edges / E | index keys | mean bytes / index key | edges encoding |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const f = (x: number): string => x.toFixed(1);
    console.log(`| ${r.edges.toLocaleString('en-US')} | ${f(r.edgesBytes)} | ${f(r.indexBytes)} | ${f(r.totalBytes)} | ${f(r.edgesUsage)} | ${r.indexKeys.toLocaleString('en-US')} | ${f(r.indexKeyBytes)} | ${r.encodings} |`);
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
