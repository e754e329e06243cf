/**
 * Heap bytes per cached edge at 1,000,000 edges (run with --expose-gc). The cache keeps a
 * 128-bit hash per edge, not the key strings; everything it allocates is counted.
 */
import { EdgeCache } from '../src/detect/edge-cache';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const N = Number(process.argv[2] ?? 1_000_000);
gc();
// Typed arrays live outside the JS heap (arrayBuffers): count both.
const used = (): number => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const before = used();
const cache = new EdgeCache(N);
const base = Date.UTC(2026, 10, 28);
for (let i = 0; i < N; i++) {
  cache.raise({ scope: `prod-eu-${i % 7}`, protocol: i % 5 ? 'tcp' : 'udp', source: `frontend-${i % 5000}`, dest: `payments-api-${Math.floor(i / 5000)}` }, base + (i % 86_400) * 1000);
}
gc();
const after = used();
process.stdout.write(JSON.stringify({ edges: cache.size, bytesPerEdge: (after - before) / cache.size }) + '\n');
