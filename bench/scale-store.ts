/**
 * A baseline of E edges written straight into a store (observe in big batches, the replay
 * path: no OTLP, no alerts), before edgewatch is started on it.
 */
import { join } from 'node:path';
import type { Sighting } from '../src/store/store';
import { pairNames } from './scale-workload';

// The build's store (dist/), as edgewatch runs it: it finds the Redis store's Lua scripts from there.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { openStore } = require(join(__dirname, '../../dist/store/open-store')) as typeof import('../src/store/open-store');

const BATCH = 10_000;
const WINDOW_MS = 30 * 24 * 3_600_000;

/**
 * Write `pairs` workload pairs × TCP and UDP, last seen within the last hour before `nowMs`, and
 * record them in the per-workload index as the detector does for a new edge; returns seconds taken.
 */
export async function preload(storeUrl: string, pairs: number, nowMs: number, cluster = 'bench-cluster'): Promise<number> {
  const t0 = performance.now();
  const store = openStore(storeUrl, { redisKeyPrefix: 'ew' });
  await store.init([]);
  try {
    let batch: Sighting[] = [];
    for (let p = 0; p < pairs; p++) {
      const { src, dst } = pairNames(p);
      const t = nowMs - 60_000 - (p % 3600) * 1000;
      for (const protocol of ['tcp', 'udp'] as const) batch.push({ key: { scope: cluster, protocol, source: src, dest: dst }, firstMs: t, lastMs: t });
      if (batch.length >= BATCH) {
        await store.observe(batch, WINDOW_MS);
        await store.indexEdges(batch);
        batch = [];
      }
    }
    if (batch.length > 0) {
      await store.observe(batch, WINDOW_MS);
      await store.indexEdges(batch);
    }
    const n = await store.countEdges();
    if (n !== 2 * pairs) throw new Error(`preload wrote ${n} edges, expected ${2 * pairs}`);
  } finally {
    await store.close();
  }
  return (performance.now() - t0) / 1000;
}
