/**
 * CPU per refreshed point: the cache hash alone, the refresh buffer keyed by that hash (what the
 * detector does), and the obvious alternative measured in the same run: a Map keyed by the
 * edge's string id (edgeId), which builds and hashes a string per point.
 *
 *   npx tsc -p tsconfig.bench.json && node dist-bench/bench/refresh.bench.js
 */
import { edgeId, type EdgeKey } from '../src/core/edge';
import type { Protocol } from '../src/core/observation';
import { EdgeCache } from '../src/detect/edge-cache';
import { RefreshBuffer } from '../src/detect/refresh-buffer';
import type { BaselineStore } from '../src/store/store';

interface Point {
  cluster: string;
  protocol: Protocol;
  source: string;
  dest: string;
}

/** Edges of the throughput benchmark's TCP traffic: 840 workload pairs. */
const EDGES = 840;
const POINTS_PER_REQUEST = 167;

/** Requests of points over EDGES edges, with strings made per request as the decoder makes them. */
function requests(n: number): Point[][] {
  let seed = 1;
  const next = (): number => (seed = (seed * 48271) % 0x7fffffff);
  return Array.from({ length: n }, () =>
    Array.from({ length: POINTS_PER_REQUEST }, () => {
      const k = next() % EDGES;
      return { cluster: ['bench', 'cluster'].join('-'), protocol: 'tcp', source: `app-${k % 10}-${k}`, dest: `svc-${k % 10}-${(k * 7) % 84}` };
    }),
  );
}

/** Median ns per point of `fn` (which walks every point once) over `rounds` runs. */
function nsPerPoint(fn: () => unknown, points: number, rounds = 15): number {
  for (let i = 0; i < 10; i++) fn();
  const runs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    runs.push(Number(process.hrtime.bigint() - t0) / points);
  }
  return runs.sort((a, b) => a - b)[rounds >> 1];
}

export interface RefreshBenchResult {
  hashOnly: number;
  hashKeyed: number;
  stringKeyed: number;
}

export function benchRefresh(): RefreshBenchResult {
  const reqs = requests(300);
  const points = reqs.length * POINTS_PER_REQUEST;
  const cache = new EdgeCache(100_000);
  const store = { refresh: () => Promise.resolve() } as unknown as BaselineStore;
  let t = 1;
  const hashOnly = nsPerPoint(() => {
    let s = 0;
    for (const req of reqs) for (const p of req) s ^= cache.hash(p.cluster, p.protocol, p.source, p.dest)[0];
    return s;
  }, points);
  const hashKeyed = nsPerPoint(() => {
    const buf = new RefreshBuffer(store);
    for (const req of reqs) {
      for (const p of req) buf.add(cache.hash(p.cluster, p.protocol, p.source, p.dest), p.cluster, p.protocol, p.source, p.dest, t++);
    }
    return buf.size;
  }, points);
  const stringKeyed = nsPerPoint(() => {
    const pending = new Map<string, { key: EdgeKey; lastMs: number }>();
    for (const req of reqs) {
      for (const p of req) {
        cache.hash(p.cluster, p.protocol, p.source, p.dest); // the cache lookup hashes either way
        const key: EdgeKey = { scope: p.cluster, protocol: p.protocol, source: p.source, dest: p.dest };
        const id = edgeId(key);
        const cur = pending.get(id);
        if (cur === undefined) pending.set(id, { key, lastMs: t });
        else if (t > cur.lastMs) cur.lastMs = t;
        t++;
      }
    }
    return pending.size;
  }, points);
  return { hashOnly, hashKeyed, stringKeyed };
}

if (require.main === module) {
  const r = benchRefresh();
  console.log(`refresh of a known edge, ns per point (${EDGES} edges, ${POINTS_PER_REQUEST} points per request):`);
  console.log(`  cache hash alone ${r.hashOnly.toFixed(0)}   + hash-keyed buffer ${r.hashKeyed.toFixed(0)}   string-keyed Map (edgeId) ${r.stringKeyed.toFixed(0)}   ×${(r.stringKeyed / r.hashKeyed).toFixed(1)}`);
}
