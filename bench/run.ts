/**
 * `npm run bench`: ingest throughput of edgewatch against two baselines measured in the same run,
 * store commands per watched point, alert latency at half of peak, cache memory per edge.
 *
 *   BENCH_SECONDS   measurement time per target (default 10)
 *   BENCH_INFLIGHT  requests in flight (default 8)
 *   BENCH_STORES    comma-separated: sqlite,redis (default both)
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { client, exportOnce, runLoad, type LoadResult } from './load';
import { AlertClock, measureLatency, type LatencyResult } from './latency';
import { buildWorkload } from './reducer-requests';
import { startRedis } from '../test/helpers/redis-server';
import { redisCommandCalls, startBaseline, startEdgewatch, storeOps, tempDbPath } from './procs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 8);
const STORES = (process.env.BENCH_STORES ?? 'sqlite,redis').split(',');

const rate = (r: LoadResult): number => r.points / r.seconds;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  console.log(`edgewatch bench — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, ${SECONDS}s per target, ${INFLIGHT} in flight`);
  const now = Date.now();
  // Slot 0 is the warm-up (makes every edge known); measurement walks later slots, so last-seen
  // times advance as they do in real traffic (every point of a known edge is a refresh).
  const workload = buildWorkload({ shapes: 10, edgesPerRequest: 84, slots: 10, endMs: now });
  const warm = workload.slice(0, 10);
  const measured = workload.slice(10);
  const w = workload[0];
  console.log(`requests: ${w.points} Metric messages (one point each), ${w.watched} watched, ${(w.bytes.length / 1024).toFixed(0)} KiB, ${10 * 84} distinct edges\n`);

  const results: Array<{ name: string; r: LoadResult; extra?: string }> = [];
  for (const mode of ['transport', 'protobufjs']) {
    const p = await startBaseline(mode);
    const c = client(p.port);
    await runLoad(c, warm, INFLIGHT, 1500);
    const r = await runLoad(c, measured, INFLIGHT, SECONDS * 1000);
    c.close();
    await p.stop();
    results.push({ name: mode === 'transport' ? '(a) grpc-js transport only, no decoding' : '(b) grpc-js + protobufjs full decode', r });
  }

  const clock = new AlertClock();
  const hook = await clock.start();
  const latencies: Array<{ store: string; l: LatencyResult }> = [];
  for (const store of STORES) {
    const redis = store === 'redis' ? await startRedis() : null;
    const url = redis ? redis.url : `sqlite:${tempDbPath()}`;
    const ew = await startEdgewatch(url, hook);
    const c = client(ew.grpc);
    for (const req of warm) await exportOnce(c, req.bytes);
    await new Promise((r) => setTimeout(r, 1500));
    const ops0 = await storeOps(ew.admin);
    const cmd0 = redis ? redisCommandCalls(redis) : 0;
    const r = await runLoad(c, measured, INFLIGHT, SECONDS * 1000);
    await new Promise((r2) => setTimeout(r2, 1200)); // let the last refresh flush land
    const ops = (await storeOps(ew.admin)) - ops0;
    const cmds = redis ? redisCommandCalls(redis) - cmd0 : 0;
    const extra = redis
      ? `store ops/watched point ${(ops / r.watched).toFixed(5)}, Redis commands/watched point ${(cmds / r.watched).toFixed(5)}`
      : `store ops/watched point ${(ops / r.watched).toFixed(5)}`;
    results.push({ name: `(c) edgewatch, ${store} store`, r, extra });
    const rps = r.requests / r.seconds / 2;
    latencies.push({ store, l: await measureLatency(c, clock, measured, rps, Math.min(SECONDS, 8) * 1000) });
    c.close();
    await ew.stop();
    await redis?.dispose();
  }
  await clock.stop();

  const a = rate(results[0].r);
  const b = rate(results[1].r);
  console.log('| receiver | points/s | × (a) | × (b) | errors | notes |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const { name, r, extra } of results) {
    console.log(`| ${name} | ${fmt(rate(r))} | ${(rate(r) / a).toFixed(2)} | ${(rate(r) / b).toFixed(2)} | ${r.errors} | ${extra ?? ''} |`);
  }
  console.log('\n| store | alert latency p50 | p99 | max | samples | missing | background req/s (half of peak) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const { store, l } of latencies) {
    console.log(`| ${store} | ${l.p50.toFixed(1)} ms | ${l.p99.toFixed(1)} ms | ${l.max.toFixed(1)} ms | ${l.samples} | ${l.missing} | ${l.backgroundRps.toFixed(1)} |`);
  }
  const mem = JSON.parse(execFileSync(process.execPath, ['--expose-gc', join(__dirname, 'cache-memory.js'), '1000000']).toString()) as { edges: number; bytesPerEdge: number };
  console.log(`\nknown-edge cache: ${mem.bytesPerEdge.toFixed(1)} bytes per edge at ${fmt(mem.edges)} edges`);
  console.log('\ntargets: edgewatch ≥ 5× (b) and ≥ 0.6× (a); store commands per watched point ≤ 0.01; alert p99 ≤ 50 ms; ≤ 200 B per cached edge');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
