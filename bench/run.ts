/**
 * `npm run bench`: ingest throughput of edgewatch against two baselines measured in the same run,
 * store commands per watched point, alert latency at half of peak, cache memory per edge,
 * decode time per request and refresh cost per point (decode.bench.ts, refresh.bench.ts).
 *
 *   BENCH_SECONDS   measurement time per target, split over the rounds (default 12)
 *   BENCH_ROUNDS    interleaved rounds over all targets (default 3)
 *   BENCH_INFLIGHT  requests in flight (default 8)
 *   BENCH_STORES    comma-separated: sqlite,redis (default both)
 *   BENCH_TRAFFIC   0: leave out the "sqlite store, all detections" target (default on)
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@grpc/grpc-js';
import { client as clientFor, exportOnce, runLoad, type LoadResult } from './load';
import { AlertClock, measureLatency } from './latency';
import { buildWorkload } from './reducer-requests';
import { benchDecode } from './decode.bench';
import { benchRefresh } from './refresh.bench';
import { startRedis, type RedisServer } from '../test/helpers/redis-server';
import { serviceNodeFlags } from '../test/helpers/node-flags';
import { redisCommandCalls, settle, startBaseline, startEdgewatch, storeOps, tempDbPath } from './procs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 12);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 8);
const STORES = (process.env.BENCH_STORES ?? 'sqlite,redis').split(',');
const TRAFFIC = process.env.BENCH_TRAFFIC !== '0';
const ALL_DETECTIONS = 'new_edge,edge_traffic,process_inbound,process_outbound';

const rate = (r: LoadResult): number => r.points / r.seconds;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** One receiver under test, kept running for the whole benchmark. */
interface Target {
  name: string;
  client: Client;
  stop(): Promise<void>;
  /** Store operations / Redis commands so far (edgewatch only). */
  counters?: () => Promise<{ ops: number; cmds: number }>;
  store?: string;
  /** Store, and "all detections" for the traffic target. */
  label?: string;
  /** Also report store operations per point of any metric (the traffic target). */
  allPoints?: boolean;
  rounds: LoadResult[];
  ops: number;
  cmds: number;
}

function total(rounds: LoadResult[]): LoadResult {
  const t: LoadResult = { requests: 0, points: 0, watched: 0, seconds: 0, errors: 0 };
  for (const r of rounds) for (const k of Object.keys(t) as Array<keyof LoadResult>) t[k] += r[k];
  return t;
}

async function main(): Promise<void> {
  console.log(`edgewatch bench — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version} ${serviceNodeFlags().join(' ')}, ${ROUNDS} rounds × ${(SECONDS / ROUNDS).toFixed(1)}s per target, ${INFLIGHT} in flight`);
  const now = Date.now();
  // The warm-up makes every edge known; every later send carries the current time, so each
  // watched point of a known edge is a last-seen refresh, as in real traffic.
  const workload = buildWorkload({ shapes: 10, edgesPerRequest: 84, copies: 3, timeMs: now });
  const warm = workload.slice(0, 10);
  const measured = workload;
  const w = workload[0];
  console.log(`requests: ${w.points} Metric messages (one point each), ${w.watched} watched, ${(w.bytes.length / 1024).toFixed(0)} KiB, ${10 * w.watched} distinct edges (TCP and UDP of ${10 * 84} workload pairs)\n`);

  // Every target runs for the whole benchmark and is measured in interleaved rounds, so a slow
  // stretch of this shared VM lands on all of them instead of on one.
  const targets: Target[] = [];
  for (const mode of ['transport', 'protobufjs']) {
    const p = await startBaseline(mode);
    const client = clientFor(p.port);
    await runLoad(client, warm, INFLIGHT, 1500);
    targets.push({ name: mode === 'transport' ? '(a) grpc-js transport only, no decoding' : '(b) grpc-js + protobufjs full decode', client, stop: p.stop, rounds: [], ops: 0, cmds: 0 });
  }
  const clock = new AlertClock();
  const hook = await clock.start();
  const redisServers: RedisServer[] = [];
  // The traffic detections (README "Anomalous traffic") decode every tcp.* / udp.* point, not
  // only the watched ones, so their target is also measured per point of any metric.
  const specs = STORES.map((store) => ({ store, label: store, env: {} as Record<string, string> }));
  if (TRAFFIC) specs.push({ store: 'sqlite', label: 'sqlite, all detections', env: { EDGEWATCH_DETECTIONS: ALL_DETECTIONS } });
  for (const spec of specs) {
    const redis = spec.store === 'redis' ? await startRedis() : null;
    if (redis) redisServers.push(redis);
    const ew = await startEdgewatch(redis ? redis.url : `sqlite:${tempDbPath()}`, hook, spec.env);
    const client = clientFor(ew.grpc);
    for (const req of warm) await exportOnce(client, req.stamp(Date.now()));
    await settle(ew.admin);
    const counters = async (): Promise<{ ops: number; cmds: number }> => ({ ops: await storeOps(ew.admin), cmds: redis ? redisCommandCalls(redis) : 0 });
    const name = spec.label === spec.store ? `(c) edgewatch, ${spec.store} store` : `(c) edgewatch, ${spec.store} store, all detections`;
    targets.push({ name, client, stop: ew.stop, counters, store: spec.store, label: spec.label, allPoints: spec.label !== spec.store, rounds: [], ops: 0, cmds: 0 });
  }

  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) {
      const before = await t.counters?.();
      t.rounds.push(await runLoad(t.client, measured, INFLIGHT, (SECONDS / ROUNDS) * 1000));
      if (!before || !t.counters) continue;
      await new Promise((r) => setTimeout(r, 1200)); // let the round's last refresh flush land
      const after = await t.counters();
      t.ops += after.ops - before.ops;
      t.cmds += after.cmds - before.cmds;
    }
  }

  const a = rate(total(targets[0].rounds));
  const b = rate(total(targets[1].rounds));
  console.log('| receiver | points/s | × (a) | × (b) | × (a) per round | errors | notes |');
  console.log('|---|---:|---:|---:|---:|---:|---|');
  for (const t of targets) {
    const r = total(t.rounds);
    const perRound = t.rounds.map((x, i) => (rate(x) / rate(targets[0].rounds[i])).toFixed(2)).join(' ');
    let notes = '';
    if (t.counters) notes = `store ops/watched point ${(t.ops / r.watched).toFixed(5)}`;
    if (t.allPoints) notes += `, store ops/point (all metrics) ${(t.ops / r.points).toFixed(5)}`;
    if (t.store === 'redis') notes += `, Redis commands/watched point ${(t.cmds / r.watched).toFixed(5)}`;
    console.log(`| ${t.name} | ${fmt(rate(r))} | ${(rate(r) / a).toFixed(2)} | ${(rate(r) / b).toFixed(2)} | ${perRound} | ${r.errors} | ${notes} |`);
  }

  console.log('\n| store | alert latency p50 | p99 | max | samples | missing | background req/s (half of peak) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const t of targets.filter((x) => x.store)) {
    const r = total(t.rounds);
    const l = await measureLatency(t.client, clock, measured, r.requests / r.seconds / 2, 8000);
    console.log(`| ${t.label} | ${l.p50.toFixed(1)} ms | ${l.p99.toFixed(1)} ms | ${l.max.toFixed(1)} ms | ${l.samples} | ${l.missing} | ${l.backgroundRps.toFixed(1)} |`);
  }
  for (const t of targets) {
    t.client.close();
    await t.stop();
  }
  for (const r of redisServers) await r.dispose();
  await clock.stop();

  const mem = JSON.parse(execFileSync(process.execPath, ['--expose-gc', join(__dirname, 'cache-memory.js'), '1000000']).toString()) as { edges: number; bytesPerEdge: number };
  console.log(`\nknown-edge cache: ${mem.bytesPerEdge.toFixed(1)} bytes per edge at ${fmt(mem.edges)} edges`);
  const d = benchDecode();
  console.log(`decode of one request: edgewatch ${(1000 / d.protobuf.edgewatch).toFixed(2)} ms, protobufjs ${(1000 / d.protobuf.protobufjs).toFixed(2)} ms (×${d.protobuf.ratio.toFixed(1)})`);
  console.log(`decode of one request with the 12 traffic metrics on: edgewatch ${(1000 / d.traffic.protobuf).toFixed(2)} ms (${d.traffic.samples} samples)`);
  const f = benchRefresh();
  console.log(`refresh of a known edge per point: cache hash ${f.hashOnly.toFixed(0)} ns, + hash-keyed refresh buffer ${f.hashKeyed.toFixed(0)} ns, string-keyed Map instead ${f.stringKeyed.toFixed(0)} ns`);
  console.log('\ntargets: edgewatch ≥ 5× (b) and ≥ 0.6× (a); store commands per watched point ≤ 0.01; alert p99 ≤ 50 ms; ≤ 200 B per cached edge');
  if (TRAFFIC) console.log('         all detections: ≥ 3× (b); store operations per point (all metrics) ≤ 0.01');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
