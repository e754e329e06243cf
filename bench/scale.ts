/**
 * `npm run bench:scale`: does edgewatch's cost per point stay flat as the baseline grows to
 * cache_max_edges, and how fast is a restart with a big baseline? For each E (edges in the
 * store, all known, the traffic sweeping all of them), against E = 2,000 measured in the same run:
 * steady points/s and its ratio, store operations per watched point, cache bytes per edge, RSS;
 * then the time from a restart to steady throughput with the largest E, warm fill on and off.
 * Two kinds of traffic, in interleaved rounds: `refresh` points carry the send time, so each
 * raises its edge's last-seen (at E = 2 k one edge gets ~25 points a second and the refresh
 * buffer coalesces them; at 1 M every point is another edge, seen again only E / 166 requests
 * later, and last_seen_resolution decides which points reach the store: one sweep over all
 * edges runs first, so that is measured in steady state), and `cache only` points carry a time
 * before every stored last-seen (known, nothing to write): the cost of the cache itself.
 *
 *   BENCH_SCALE_EDGES     comma-separated E (default 2000,1000000; the first is the baseline).
 *                         The long mode: 2000,10000000 (cache_max_edges is set to the largest E)
 *   BENCH_SCALE_STORES    sqlite,redis (default sqlite)
 *   BENCH_SECONDS         measurement time per target, split over the rounds (default 12)
 *   BENCH_ROUNDS          interleaved rounds (default 3)
 *   BENCH_INFLIGHT        requests in flight (default 8)
 *   BENCH_RESTART_LIMIT   seconds a restart may take to reach steady throughput (default 90)
 *   BENCH_RESTART_EDGES   the E whose process is restarted (default the largest)
 *   BENCH_SCALE_SWEEP_MAX_EDGES  largest E swept once before the rounds (default 2,000,000)
 *   BENCH_SCALE_NEW_SECONDS  seconds of new-edge traffic per target after the rounds (default 4;
 *                         0 skips): pairs of another cluster never sent before, storm cap 50/min
 *   BENCH_SCALE_STALL     0 skips the stall phase (bench/scale-stall.ts: 100-edge page walk of
 *                         GET /api/v1/edges, export latency while a prune of E / 10 edges runs)
 *   BENCH_STALL_PAGES, BENCH_STALL_RPS  pages walked (300), paced exports per second (40)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@grpc/grpc-js';
import { client as clientFor, type LoadResult } from './load';
import { AlertClock } from './latency';
import { startRedis, type RedisServer } from '../test/helpers/redis-server';
import { serviceNodeFlags } from '../test/helpers/node-flags';
import { settle, startEdgewatch, storeOps, tempDbPath, type Proc } from './procs';
import { metricValue, runScaleLoad, timeToSteady, type SteadyResult } from './scale-load';
import { preload } from './scale-store';
import { edgeCounter } from './edge-count';
import { ScaleWorkload } from './scale-workload';
import { measureStalls, quantile, STALL_PRUNE_INTERVAL } from './scale-stall';

const EDGES = (process.env.BENCH_SCALE_EDGES ?? '2000,1000000').split(',').map(Number);
const STORES = (process.env.BENCH_SCALE_STORES ?? 'sqlite').split(',');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 12);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 8);
const RESTART_LIMIT = Number(process.env.BENCH_RESTART_LIMIT ?? 90);
const CACHE_MAX = String(Math.max(1_000_000, ...EDGES));
const STALL = process.env.BENCH_SCALE_STALL !== '0';
const RESTART_EDGES = Number(process.env.BENCH_RESTART_EDGES ?? Math.max(...EDGES));
const NEW_SECONDS = Number(process.env.BENCH_SCALE_NEW_SECONDS ?? 4);
const SWEEP_MAX_EDGES = Number(process.env.BENCH_SCALE_SWEEP_MAX_EDGES ?? 2_000_000);
/** The default storm cap: the new-edge phase's alerts go through the guard as in production. */
const STORM_CAP = '50';

const rate = (r: LoadResult): number => r.points / r.seconds;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const mib = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MiB`;

interface Target {
  edges: number;
  store: string;
  url: string;
  /** Seconds the preload of the store took. */
  loadS: number;
  /** Redis used_memory (INFO memory) the preload added, per edge (edges + per-workload index); NaN on SQLite. */
  redisBytesPerEdge: number;
  /** New edges per second into this baseline (NaN when skipped). */
  newPerS: number;
  env: Record<string, string>;
  workload: ScaleWorkload;
  ew: Proc & { grpc: number; admin: number };
  client: Client;
  rounds: Record<Traffic, LoadResult[]>;
  ops: Record<Traffic, number>;
  /** Last-seen refreshes handed to the store (edgewatch_last_seen_refreshes_total{result="written"}). */
  writes: Record<Traffic, number>;
}

type Traffic = 'refresh' | 'cache only';
const TRAFFIC: Traffic[] = ['refresh', 'cache only'];

function rssBytes(pid: number | undefined): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

function total(rounds: LoadResult[]): LoadResult {
  const t: LoadResult = { requests: 0, points: 0, watched: 0, seconds: 0, errors: 0 };
  for (const r of rounds) for (const k of Object.keys(t) as Array<keyof LoadResult>) t[k] += r[k];
  return t;
}

/** Until the warm fill has finished and the cache holds what it will hold. */
async function warmed(adminPort: number, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await metricValue(adminPort, 'edgewatch_cache_warming')) !== 0) {
    if (Date.now() > deadline) throw new Error('warm fill did not finish');
    await new Promise((r) => setTimeout(r, 250));
  }
}

function usedMemory(redis: RedisServer): number {
  const m = /^used_memory:(\d+)/m.exec(redis.cli('info', 'memory'));
  if (!m) throw new Error('no used_memory in INFO memory');
  return Number(m[1]);
}

/**
 * New edges/s into a baseline of E: requests whose pairs (of another cluster) were never sent,
 * counted from the store itself (bench/edge-count.ts) before and after, once the last flush landed.
 */
async function newEdgeRate(t: Target, nowMs: number): Promise<number> {
  const counter = edgeCounter(t.url);
  try {
    const before = await counter.count();
    const r = await runScaleLoad(t.client, new ScaleWorkload(50_000_000, nowMs, 32, 'bench-new-edges'), INFLIGHT, NEW_SECONDS * 1000);
    await new Promise((res) => setTimeout(res, 1500));
    const n = (await counter.count()) - before;
    console.log(`${t.store}: ${fmt(n)} new edges into ${fmt(t.edges)} in ${r.seconds.toFixed(1)} s (${r.errors} failed sends)`);
    return n / r.seconds;
  } finally {
    await counter.close();
  }
}

async function lastSeenWrites(adminPort: number): Promise<number> {
  return (await metricValue(adminPort, 'edgewatch_last_seen_refreshes_total\\{result="written"\\}')) ?? 0;
}

/** Every edgewatch and redis-server started, stopped on the way out even when the bench fails. */
const running = new Set<{ stop(): Promise<void> }>();

async function start(t: Omit<Target, 'ew' | 'client' | 'rounds' | 'ops' | 'writes' | 'newPerS'>, hook: string, extra: Record<string, string> = {}): Promise<{ ew: Target['ew']; client: Client; spawnedAt: number }> {
  const spawnedAt = performance.now();
  const ew = await startEdgewatch(t.url, hook, { ...t.env, ...extra });
  running.add(ew);
  return { ew, client: clientFor(ew.grpc), spawnedAt };
}

async function main(): Promise<void> {
  console.log(`edgewatch scale bench — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${mib(totalmem())}, node ${process.version} ${serviceNodeFlags().join(' ')}, ${new Date().toISOString()}`);
  console.log(`E = ${EDGES.map(fmt).join(', ')} known edges; cache_max_edges ${fmt(Number(CACHE_MAX))}; ${ROUNDS} rounds × ${(SECONDS / ROUNDS).toFixed(1)} s per target, ${INFLIGHT} in flight; requests of 996 Metric messages, 166 watched (83 workload pairs × TCP, UDP)\n`);
  const now = Date.now();
  const clock = new AlertClock();
  const hook = await clock.start();
  const redisServers: RedisServer[] = [];
  const targets: Target[] = [];
  for (const store of STORES) {
    for (const edges of EDGES) {
      const redis = store === 'redis' ? await startRedis() : null;
      if (redis) redisServers.push(redis);
      if (redis) running.add({ stop: () => redis.dispose() });
      const url = redis ? redis.url : `sqlite:${tempDbPath()}`;
      const emptyBytes = redis ? usedMemory(redis) : NaN;
      const loadS = await preload(url, edges / 2, now);
      const redisBytesPerEdge = redis ? (usedMemory(redis) - emptyBytes) / edges : NaN;
      console.log(`${store}: ${fmt(edges)} edges written and indexed in ${loadS.toFixed(1)} s${redis ? `, ${redisBytesPerEdge.toFixed(1)} B of Redis used_memory per edge` : ''}`);
      const env: Record<string, string> = { EDGEWATCH_CACHE_MAX_EDGES: CACHE_MAX, EDGEWATCH_STORM_MAX_ALERTS_PER_MINUTE: STORM_CAP, ...(STALL ? { EDGEWATCH_PRUNE_INTERVAL: STALL_PRUNE_INTERVAL } : {}) };
      const base = { edges, store, url, loadS, redisBytesPerEdge, env, workload: new ScaleWorkload(edges / 2, now) };
      const { ew, client } = await start(base, hook);
      await warmed(ew.admin);
      await settle(ew.admin);
      targets.push({ ...base, ew, client, rounds: { refresh: [], 'cache only': [] }, ops: { refresh: 0, 'cache only': 0 }, writes: { refresh: 0, 'cache only': 0 }, newPerS: NaN });
    }
  }

  // One refresh sweep over every edge first: each edge's previous point is then its last visit
  // (E / 166 requests ago), as in steady traffic, not the preload, so last_seen_resolution
  // writes what it writes in steady state. Above SWEEP_MAX_EDGES a revisit takes longer than the
  // 5-min resolution at this bench's rate (10 M: ~500 s), so every point is a write either way.
  for (const t of targets.filter((x) => x.edges <= SWEEP_MAX_EDGES)) {
    let sent = 0;
    const need = Math.ceil(t.edges / t.workload.watched);
    const r = await runScaleLoad(t.client, t.workload, INFLIGHT, 3_600_000, () => sent++, () => sent >= need);
    console.log(`${t.store}: ${fmt(t.edges)} edges swept once with refresh traffic in ${r.seconds.toFixed(1)} s`);
  }

  // Interleaved rounds: a slow stretch of this shared VM lands on every target.
  const past = now - 2 * 3_600_000; // before every preloaded last-seen: known, and nothing to refresh
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) {
      for (const traffic of TRAFFIC) {
        const before = await storeOps(t.ew.admin);
        const writesBefore = await lastSeenWrites(t.ew.admin);
        const stamp = traffic === 'refresh' ? Date.now : () => past;
        t.rounds[traffic].push(await runScaleLoad(t.client, t.workload, INFLIGHT, (SECONDS / ROUNDS) * 1000, undefined, undefined, stamp));
        await new Promise((r) => setTimeout(r, 1200)); // the round's last refresh flush lands
        t.ops[traffic] += (await storeOps(t.ew.admin)) - before;
        t.writes[traffic] += (await lastSeenWrites(t.ew.admin)) - writesBefore;
      }
    }
  }

  const mem = JSON.parse(execFileSync(process.execPath, ['--expose-gc', join(__dirname, 'cache-memory.js'), CACHE_MAX]).toString()) as { edges: number; bytesPerEdge: number };
  console.log('| store | traffic | known edges | points/s | × E = 2 k | × per round | store ops / watched point | last-seen writes / watched point | cached edges | cache misses | evictions | RSS | errors |');
  console.log('|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const traffic of TRAFFIC) {
    for (const t of targets) {
      const base = targets.find((x) => x.store === t.store) ?? t;
      const r = total(t.rounds[traffic]);
      const perRound = t.rounds[traffic].map((x, i) => (rate(x) / rate(base.rounds[traffic][i])).toFixed(2)).join(' ');
      const cached = await metricValue(t.ew.admin, 'edgewatch_cache_edges');
      const misses = await metricValue(t.ew.admin, 'edgewatch_cache_lookups_total\\{result="miss"\\}');
      const evictions = await metricValue(t.ew.admin, 'edgewatch_cache_evictions_total');
      const ratio = (rate(r) / rate(total(base.rounds[traffic]))).toFixed(2);
      console.log(`| ${t.store} | ${traffic} | ${fmt(t.edges)} | ${fmt(rate(r))} | ${ratio} | ${perRound} | ${(t.ops[traffic] / r.watched).toFixed(5)} | ${(t.writes[traffic] / r.watched).toFixed(3)} | ${fmt(cached ?? NaN)} | ${fmt(misses ?? 0)} | ${fmt(evictions ?? NaN)} | ${mib(rssBytes(t.ew.child.pid))} | ${r.errors} |`);
    }
  }
  // After the table above read its cache counters: these misses are new edges.
  console.log('');
  if (NEW_SECONDS > 0) for (const t of targets) t.newPerS = await newEdgeRate(t, now);
  console.log('\n| store | known edges | new edges/s into it (storm cap 50/min) | × E = 2 k | Redis used_memory per edge (edges + index) | preload (written + indexed) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const t of targets) {
    const base = targets.find((x) => x.store === t.store) ?? t;
    const newRate = Number.isNaN(t.newPerS) ? '(skipped)' : fmt(t.newPerS);
    console.log(`| ${t.store} | ${fmt(t.edges)} | ${newRate} | ${(t.newPerS / base.newPerS).toFixed(2)} | ${Number.isNaN(t.redisBytesPerEdge) ? '' : `${t.redisBytesPerEdge.toFixed(1)} B`} | ${t.loadS.toFixed(1)} s |`);
  }
  console.log(`\nknown-edge cache: ${mem.bytesPerEdge.toFixed(1)} bytes per edge (JS heap + ArrayBuffers) at ${fmt(mem.edges)} edges (bench/cache-memory.ts)`);

  if (STALL) await stallTable(targets);

  // Restarts of the largest baseline: stop, start again on the same store, drive the same traffic.
  console.log('\n| store | restart with | edges in store | ready after | warm fill done after | steady (≥ 0.9 × its steady points/s over 2 s) after | store lookups < 1 % of points (over 2 s) after | points/s in each second from the start |');
  console.log('|---|---|---:|---:|---:|---:|---:|---|');
  for (const t of targets.filter((x) => x.edges === RESTART_EDGES)) {
    const steady = rate(total(t.rounds.refresh));
    for (const warm of ['true', 'false']) {
      t.client.close();
      await t.ew.stop();
      const s = await start(t, hook, { EDGEWATCH_CACHE_WARM: warm });
      t.ew = s.ew;
      t.client = s.client;
      const r: SteadyResult = await timeToSteady(t.client, t.workload, INFLIGHT, t.ew.admin, s.spawnedAt, 0.9 * steady, RESTART_LIMIT);
      const within = (s: number | null): string => (s === null ? `not within ${RESTART_LIMIT} s` : `${s.toFixed(1)} s`);
      const ramp = r.perSecond.map((p) => `${Math.round(p / 1000)}k`).join(' ');
      const warmText = warm === 'true' ? (r.warmedS === null ? 'not seen' : `${r.warmedS.toFixed(1)} s`) : '(off)';
      console.log(`| ${t.store} | cache_warm ${warm} | ${fmt(t.edges)} | ${r.readyS.toFixed(1)} s | ${warmText} | ${within(r.steadyS)} | ${within(r.missesSettledS)} | ${ramp} |`);
    }
  }

  for (const t of targets) {
    t.client.close();
    await t.ew.stop();
  }
  for (const r of redisServers) await r.dispose();
  await clock.stop();
  console.log('\ntargets: at E = cache_max_edges ≥ 0.9 × the points/s at E = 2 k; store ops per watched point ≤ 0.01; ≤ 64 B per cached edge; steady within seconds after a restart with the warm fill');
}

/** Page walk and export latency with and without a big prune, per target (bench/scale-stall.ts). */
async function stallTable(targets: Target[]): Promise<void> {
  const ms = (xs: number[]): string => [0.5, 0.99, 1].map((q) => quantile(xs, q).toFixed(1)).join(' / ');
  console.log(`\n| store | known edges | GET /api/v1/edges?limit=100&cursor=… p50 / p99 / max ms (pages) | expired edges written / pruned | prune took | export p50 / p99 / max ms, no prune (requests) | export p50 / p99 / max ms, while pruning (requests) | p99 ratio | sends late or failed (16 in flight) no prune / pruning |`);
  console.log('|---|---:|---|---:|---:|---|---|---:|---|');
  for (const t of targets) {
    const r = await measureStalls(t);
    const ratio = (quantile(r.during, 0.99) / quantile(r.before, 0.99)).toFixed(2);
    const took = r.pruneS === null ? 'not seen' : `${r.pruneS.toFixed(1)} s`;
    console.log(`| ${t.store} | ${fmt(t.edges)} | ${ms(r.pages)} (${r.pages.length}) | ${fmt(r.expired)} / ${fmt(r.pruned)}${r.overlapped ? ' (prune began during the write)' : ''} | ${took} | ${ms(r.before)} (${r.before.length}) | ${ms(r.during)} (${r.during.length}) | ${ratio} | ${r.late.before} / ${r.late.during} |`);
  }
  console.log(`(exports paced at ${process.env.BENCH_STALL_RPS ?? 40} requests/s of 996 Metric messages, the first second of load left out of the no-prune window; pages walked idle, consecutive from the most recent edge)`);
}

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    console.error(err);
    for (const p of running) await p.stop().catch(() => undefined);
    process.exit(1);
  },
);
