/**
 * Store CPU per new edge, without OTLP: what the detector asks of the store for a batch of cache
 * misses of a first deploy (indexEdges, then observe with the default storm cap of 50 per
 * cluster per minute), 166 new edges per batch (83 workload pairs × TCP and UDP, the names of
 * bench/scale-workload.ts), on SQLite and on Redis (a redis-server of its own). Prints µs per
 * new edge for each operation; on Redis also redis-server's CPU (INFO cpu) and commands.
 *
 *   npm run build && npx tsc -p tsconfig.bench.json && node dist-bench/bench/new-edge-store.bench.js
 *   BENCH_STORE_EDGES  new edges per store (default 100000)
 *   BENCH_STORES       sqlite,redis (default both)
 *   BENCH_EAGER        1: every sighting carries its built draft (what the detector did before LazyAlert)
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { alertId, type EdgeKey } from '../src/core/edge';
import type { AlertDraft } from '../src/core/alert';
import type { Protocol } from '../src/core/observation';
import type { BaselineStore, LazyAlert, Sighting } from '../src/store/store';
import { startRedis, type RedisServer } from '../test/helpers/redis-server';
import { sampleAlert } from '../test/helpers/sample-alert';
import { tempDbPath } from './procs';
import { pairNames, PAIRS_PER_REQUEST } from './scale-workload';

// The built service's store (npm run build): its Lua scripts sit beside it in dist/, not in dist-bench/.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { openStore } = require(join(__dirname, '../../dist/store/open-store')) as typeof import('../src/store/open-store');

const EDGES = Number(process.env.BENCH_STORE_EDGES ?? 100_000);
const STORES = (process.env.BENCH_STORES ?? 'sqlite,redis').split(',');
const WINDOW_MS = 30 * 86_400_000;
const POLICY = { maxPerWindow: 50, windowMs: 60_000 };
const PROTOCOLS: Protocol[] = ['tcp', 'udp'];
const EAGER = process.env.BENCH_EAGER === '1';

/** A draft of the size the detector builds (17 attributes), built only when the store asks. */
function lazyAlert(key: EdgeKey, firstMs: number, built: { n: number }): LazyAlert {
  const id = alertId(key, firstMs);
  return {
    id,
    cluster: key.scope,
    build: (): AlertDraft => {
      built.n++;
      const attributes: Record<string, string> = {};
      for (let i = 0; i < 17; i++) attributes[`attr.${i}`] = `value-${i}-${key.source}`;
      const { previous_seen: _none, ...draft } = sampleAlert({
        id,
        rule: key.protocol === 'tcp' ? 'kubernetes_newly_seen_tcp_edge' : 'kubernetes_newly_seen_udp_edge',
        title: `Kubernetes newly seen edge in kubernetes cluster ${key.scope}`,
        cluster: key.scope,
        protocol: key.protocol,
        source: { workload: key.source, namespace: 'shop' },
        dest: { workload: key.dest, namespace: 'shop' },
        first_seen: new Date(firstMs).toISOString(),
        detected_at: new Date().toISOString(),
        baseline_window_s: WINDOW_MS / 1000,
        attributes,
      });
      return draft;
    },
  };
}

function batch(first: number, nowMs: number, built: { n: number }): Sighting[] {
  const out: Sighting[] = [];
  for (let j = 0; j < PAIRS_PER_REQUEST; j++) {
    const { src, dst } = pairNames(first + j);
    for (const protocol of PROTOCOLS) {
      const key: EdgeKey = { scope: 'bench-cluster', protocol, source: src, dest: dst };
      const alert = lazyAlert(key, nowMs, built);
      out.push({ key, firstMs: nowMs, lastMs: nowMs, alert: EAGER ? alert.build() : alert });
    }
  }
  return out;
}

const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

function redisCpuUs(redis: RedisServer | null): number {
  if (!redis) return 0;
  let s = 0;
  for (const m of redis.cli('info', 'cpu').matchAll(/^used_cpu_(?:user|sys):([0-9.]+)/gm)) s += Number(m[1]);
  return s * 1e6;
}

function redisCalls(redis: RedisServer | null): number {
  if (!redis) return 0;
  let n = 0;
  for (const m of redis.cli('info', 'commandstats').matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) if (m[1] !== 'info') n += Number(m[2]);
  return n;
}

async function run(kind: string): Promise<void> {
  const redis = kind === 'redis' ? await startRedis() : null;
  const path = redis ? '' : tempDbPath();
  const store: BaselineStore = openStore(redis ? redis.url : `sqlite:${path}`, { redisKeyPrefix: 'ew-bench' });
  await store.init(['webhook']);
  const built = { n: 0 };
  const batches = Math.ceil(EDGES / (2 * PAIRS_PER_REQUEST));
  const t = { index: 0, observe: 0 };
  let held = 0;
  let alerted = 0;
  // Warm-up (JIT, first pages): a tenth, not counted.
  const warm = Math.max(1, Math.floor(batches / 10));
  let cpu0 = 0;
  let wall0 = 0;
  let rcpu0 = 0;
  let calls0 = 0;
  for (let b = 0; b < warm + batches; b++) {
    if (b === warm) {
      cpu0 = cpuUs();
      wall0 = performance.now();
      rcpu0 = redisCpuUs(redis);
      calls0 = redisCalls(redis);
      built.n = 0;
    }
    const s = batch(b * PAIRS_PER_REQUEST, Date.now(), built);
    const a = cpuUs();
    await store.indexEdges(s);
    const m = cpuUs();
    const outs = await store.observe(s, WINDOW_MS, POLICY);
    const e = cpuUs();
    if (b >= warm) {
      t.index += m - a;
      t.observe += e - m;
      for (const o of outs) {
        if (o.heldBack) held++;
        if (o.alerted) alerted++;
      }
    }
  }
  const n = batches * 2 * PAIRS_PER_REQUEST;
  const cpu = cpuUs() - cpu0;
  const wall = performance.now() - wall0;
  const rcpu = redisCpuUs(redis) - rcpu0;
  const calls = redisCalls(redis) - calls0;
  const f = (us: number): string => (us / n).toFixed(1);
  console.log(
    `${kind}: ${n} new edges, ${Math.round(n / (wall / 1000))} new edges/s; CPU µs per new edge: total ${f(cpu)} (indexEdges ${f(t.index)}, observe ${f(t.observe)})` +
      (redis ? `, redis-server ${f(rcpu)}, ${(calls / n).toFixed(2)} commands` : '') +
      `; alerted ${alerted}, held back ${held}, drafts built ${built.n}`,
  );
  if (redis && process.env.BENCH_REDIS_STATS === '1') {
    const rows = [...redis.cli('info', 'commandstats').matchAll(/^cmdstat_(\S+):calls=(\d+),usec=(\d+)/gm)].map((m) => ({ cmd: m[1], calls: Number(m[2]), usec: Number(m[3]) }));
    rows.sort((a, b) => b.usec - a.usec);
    console.log(rows.slice(0, 14).map((r) => `  ${r.cmd} ${(r.usec / 1e3).toFixed(0)} ms / ${r.calls} calls`).join('\n'));
  }
  await store.close();
  await redis?.dispose();
  if (path) rmSync(dirname(path), { recursive: true, force: true });
}

async function main(): Promise<void> {
  for (const kind of STORES) await run(kind);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
