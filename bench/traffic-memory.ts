/**
 * `npm run bench:traffic-memory`: bytes per traffic key-metric of the traffic baselines (issue
 * 15, README "Anomalous traffic", "State"). Writes K keys × the 8 TCP metrics through the built
 * store as the detector does, ending in the steady state of a key: a decayed base (hour H − 2,
 * folded by a read at H − 1) plus two pending hours (H − 1 and H). Prints, per key-metric, the
 * Redis `used_memory` delta (INFO memory; its own redis-server) and the SQLite file-size delta
 * (after a WAL checkpoint), with the Redis hashes' encoding and mean value size.
 *
 * Every moment is a double that needs all 8 bytes (random sums): the worst case of the packing;
 * counters' integral sums pack smaller on Redis.
 *
 *   BENCH_TRAFFIC_KEYS  K (default 10000)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { trafficKeyId } from '../src/core/traffic';
import { shardOf } from '../src/store/redis/keys';
import type { BaselineStore, TrafficDelta } from '../src/store/store';
import { startRedis } from '../test/helpers/redis-server';

// The build's store (dist/), as edgewatch runs it: it finds the Redis store's Lua scripts from there.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { openStore } = require(join(__dirname, '../../dist/store/open-store')) as typeof import('../src/store/open-store');

const KEYS = Number(process.env.BENCH_TRAFFIC_KEYS ?? 10_000);
const METRICS = ['tcp.bytes', 'tcp.packets', 'tcp.retrans', 'tcp.syn_timeouts', 'tcp.new_sockets', 'tcp.resets', 'tcp.active', 'tcp.rtt.average'];
const BATCH_KEYS = 500;
const DECAY = Math.exp(-1 / 360);
const H = Math.floor(Date.now() / 3_600_000);

/** Deterministic doubles (mulberry32): the same data in both stores and every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const keyOf = (i: number): string => trafficKeyId({ detection: 'edge_traffic', scope: 'bench-cluster', a: `app-${String(i).padStart(7, '0')}`, b: `svc-${String(i % 1000).padStart(7, '0')}` });

/** One hour of 120 points (30 s apart) per key and metric. */
function hourDeltas(from: number, to: number, hour: number, random: () => number): TrafficDelta[] {
  const out: TrafficDelta[] = [];
  for (let i = from; i < to; i++) {
    const key = keyOf(i);
    for (const metric of METRICS) {
      const sum = 120 * 1000 * (1 + random());
      out.push({ key, hour, metric, moments: { n: 120, sum, sumSq: (sum * sum) / 120 * (1 + random() / 10) } });
    }
  }
  return out;
}

/** Steady state of every key: base of H − 2 (read at H − 1), pending H − 1 and H. */
async function writeKeys(store: BaselineStore): Promise<void> {
  const random = rng(15);
  for (let from = 0; from < KEYS; from += BATCH_KEYS) {
    const to = Math.min(KEYS, from + BATCH_KEYS);
    await store.addTrafficMoments(hourDeltas(from, to, H - 2, random));
    const keys = Array.from({ length: to - from }, (_, j) => keyOf(from + j));
    const read = await store.readTrafficBaselines(keys, H - 1, DECAY);
    if (read.length !== keys.length) throw new Error(`read ${read.length} baselines, expected ${keys.length}`);
    await store.addTrafficMoments(hourDeltas(from, to, H - 1, random));
    await store.addTrafficMoments(hourDeltas(from, to, H, random));
  }
}

async function usedMemory(r: Redis): Promise<number> {
  const m = /^used_memory:(\d+)/m.exec(await r.info('memory'));
  if (!m) throw new Error('no used_memory in INFO memory');
  return Number(m[1]);
}

interface RedisRow {
  perKeyMetric: number;
  usagePerKeyMetric: number;
  meanValueBytes: number;
  encodings: string;
}

async function measureRedis(): Promise<RedisRow> {
  const server = await startRedis();
  const raw = new Redis(server.url);
  const store = openStore(server.url, { redisKeyPrefix: 'ew' });
  try {
    await store.init([]);
    // Load the scripts (EVALSHA falls back to EVAL once) before the first reading; then drop the key.
    await store.addTrafficMoments([{ key: 'warm-up', hour: 0, metric: 'm', moments: { n: 1, sum: 1, sumSq: 1 } }]);
    await store.readTrafficBaselines(['warm-up'], 1, DECAY);
    await store.prune(3_600_000 * 2);
    const m0 = await usedMemory(raw);
    await writeKeys(store);
    const m1 = await usedMemory(raw);
    let usage = 0;
    let valueBytes = 0;
    const enc = new Map<string, number>();
    for (let n = 0; n < 16; n++) {
      const hash = `{ew:${n}}:tr-moments`;
      usage += Number(await raw.call('MEMORY', 'USAGE', hash, 'SAMPLES', '0'));
      const e = String(await raw.call('OBJECT', 'ENCODING', hash));
      enc.set(e, (enc.get(e) ?? 0) + 1);
    }
    for (let i = 0; i < KEYS; i += 97) {
      const key = keyOf(i);
      valueBytes += await raw.hstrlen(`{ew:${shardOf(key)}}:tr-moments`, key);
    }
    const cells = KEYS * METRICS.length;
    return { perKeyMetric: (m1 - m0) / cells, usagePerKeyMetric: usage / cells, meanValueBytes: valueBytes / Math.ceil(KEYS / 97), encodings: [...enc].map(([e, c]) => `${c}×${e}`).join(' ') };
  } finally {
    await store.close();
    raw.disconnect();
    await server.dispose();
  }
}

/** The database file and its WAL after a checkpoint that empties the WAL, and the bytes of its pages in use (not on the freelist). */
function fileBytes(path: string): { file: number; used: number } {
  const db = new Database(path);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pragma = (name: string): number => Number(db.pragma(name, { simple: true }));
    const size = (p: string): number => {
      try {
        return statSync(p).size;
      } catch {
        return 0;
      }
    };
    return { file: size(path) + size(`${path}-wal`), used: (pragma('page_count') - pragma('freelist_count')) * pragma('page_size') };
  } finally {
    db.close();
  }
}

async function measureSqlite(): Promise<{ file: number; used: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ew-traffic-mem-'));
  const path = join(dir, 'edgewatch.db');
  const store = openStore(`sqlite:${path}`, { redisKeyPrefix: 'ew' });
  try {
    await store.init([]);
    const s0 = fileBytes(path);
    await writeKeys(store);
    const s1 = fileBytes(path);
    return { file: (s1.file - s0.file) / (KEYS * METRICS.length), used: (s1.used - s0.used) / (KEYS * METRICS.length) };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const redis = await measureRedis();
  const sqlite = await measureSqlite();
  const f = (x: number): string => x.toFixed(1);
  console.log(`\nTraffic baselines: ${KEYS.toLocaleString('en-US')} keys × ${METRICS.length} metrics, a base and 2 pending hours each`);
  console.log('| store | bytes per key-metric | notes |');
  console.log('|---|---:|---|');
  console.log(`| Redis (used_memory delta) | ${f(redis.perKeyMetric)} | MEMORY USAGE of the 16 hashes: ${f(redis.usagePerKeyMetric)} B per key-metric; mean packed value ${f(redis.meanValueBytes)} B per key; ${redis.encodings} |`);
  console.log(`| SQLite (file size delta) | ${f(sqlite.file)} | table traffic + its two indexes, after a WAL checkpoint; pages in use (not free): ${f(sqlite.used)} B per key-metric |`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
