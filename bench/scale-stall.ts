/**
 * The "nothing stalls" half of the scale bench (issue 14 item 5), on a running target:
 * - a walk of 100-edge pages of GET /api/v1/edges with the cursor (consecutive pages from the
 *   most recent edge, from the top again when the baseline ends), each page's latency;
 * - OTLP export latency at a paced load (BENCH_STALL_RPS requests/s, not a saturating one:
 *   queueing would hide a stall) first with nothing to prune, then while the periodic prune
 *   deletes E / 10 edges that expire at a known time (written beside the live baseline in
 *   another cluster, all with one last-seen). Both windows in the same run, same process.
 * The target must run with a short EDGEWATCH_PRUNE_INTERVAL (STALL_PRUNE_INTERVAL).
 */
import { join } from 'node:path';
import type { Client } from '@grpc/grpc-js';
import type { Sighting } from '../src/store/store';
import { exportOnce } from './load';
import { httpGet } from './procs';
import { metricValue } from './scale-load';
import type { ScaleWorkload } from './scale-workload';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { openStore } = require(join(__dirname, '../../dist/store/open-store')) as typeof import('../src/store/open-store');

/** Env of every target when the stall phase runs: the prune tick that finds the expiring edges soon after they expire. */
export const STALL_PRUNE_INTERVAL = '2s';
const WINDOW_MS = 30 * 24 * 3_600_000;
const PAGES = Number(process.env.BENCH_STALL_PAGES ?? 300);
const RPS = Number(process.env.BENCH_STALL_RPS ?? 40);
/** Requests in flight at most; a send due while at the cap is counted as late (a stall's sign). */
const MAX_INFLIGHT = 16;
/**
 * The first second of paced load is left out of the no-prune window: the client's channel and
 * the server's first requests warm up there (first-request latency, not a stall). The prune
 * window starts on a warm connection, so nothing of it is left out.
 */
const WARMUP_MS = 1000;

export interface StallResult {
  pages: number[];
  expired: number;
  /** Edges the service counted as pruned (edgewatch_edges_pruned_total) while the window ran. */
  pruned: number;
  writeS: number;
  pruneS: number | null;
  before: number[];
  during: number[];
  late: { before: number; during: number };
  overlapped: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Latency (ms) of `count` consecutive limit=100 pages, following next_cursor. */
async function pageWalk(admin: number, count: number): Promise<number[]> {
  const out: number[] = [];
  let cursor: string | null = null;
  while (out.length < count) {
    const t0 = performance.now();
    const r = await httpGet(admin, `/api/v1/edges?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    out.push(performance.now() - t0);
    if (r.status !== 200) throw new Error(`GET /api/v1/edges: ${r.status} ${r.body.slice(0, 200)}`);
    cursor = (JSON.parse(r.body) as { next_cursor: string | null }).next_cursor;
  }
  return out;
}

/** `n` edges of cluster bench-expired, all last seen at `lastSeenMs`; returns seconds taken. */
async function writeExpiring(url: string, n: number, lastSeenMs: number): Promise<number> {
  const t0 = performance.now();
  const store = openStore(url, { redisKeyPrefix: 'ew' });
  // A CLI-like writer beside the running service: keep the sinks it registered.
  const sinks = 'registeredSinks' in store && typeof store.registeredSinks === 'function' ? await (store.registeredSinks as () => Promise<string[]>)() : [];
  await store.init(sinks);
  try {
    for (let i = 0; i < n; i += 10_000) {
      const batch: Sighting[] = [];
      for (let j = i; j < Math.min(n, i + 10_000); j++) batch.push({ key: { scope: 'bench-expired', protocol: j % 2 ? 'udp' : 'tcp', source: `old-${j >> 1}`, dest: 'gone' }, firstMs: lastSeenMs, lastMs: lastSeenMs });
      await store.observe(batch, WINDOW_MS);
    }
  } finally {
    await store.close();
  }
  return (performance.now() - t0) / 1000;
}

/** Paced exports until `stop()`; each latency (ms) is given to `record` with its send time. */
async function pacedLoad(c: Client, w: ScaleWorkload, stop: () => boolean, record: (sentAt: number, ms: number) => void, late: () => void): Promise<void> {
  const interval = 1000 / RPS;
  let inflight = 0;
  const pending = new Set<Promise<void>>();
  for (let next = performance.now(); !stop(); next += interval) {
    await sleep(next - performance.now());
    if (inflight >= MAX_INFLIGHT) {
      late();
      continue;
    }
    const sentAt = performance.now();
    inflight++;
    const p: Promise<void> = exportOnce(c, w.take(Date.now()))
      .then(() => record(sentAt, performance.now() - sentAt))
      .catch(() => late())
      .finally(() => {
        inflight--;
        pending.delete(p);
      });
    pending.add(p);
  }
  await Promise.all(pending);
}

export async function measureStalls(t: { url: string; edges: number; loadS: number; workload: ScaleWorkload; client: Client; ew: { admin: number } }): Promise<StallResult> {
  const pages = await pageWalk(t.ew.admin, PAGES);
  const expired = Math.max(1000, Math.round(t.edges / 10));
  // They expire D after the write starts: twice the time the write should take (at the preload's rate) and 15 s of export without prune.
  const estimateS = (expired / t.edges) * t.loadS;
  const startMs = Date.now();
  const expiresAt = startMs + (2 * estimateS + 15) * 1000;
  const prunedBefore = (await metricValue(t.ew.admin, 'edgewatch_edges_pruned_total')) ?? 0;
  const writeS = await writeExpiring(t.url, expired, expiresAt - WINDOW_MS - 1);
  const overlapped = Date.now() >= expiresAt || ((await metricValue(t.ew.admin, 'edgewatch_edges_pruned_total')) ?? 0) > prunedBefore;

  const samples: Array<[number, number]> = [];
  const lateAt: number[] = [];
  let pruneStart: number | null = null;
  let pruneEnd: number | null = null;
  const deadline = performance.now() + (expiresAt - Date.now()) + 120_000 + expired / 10;
  const loadStart = performance.now();
  let pruned = 0;
  const poll = (async () => {
    while (pruneEnd === null && performance.now() < deadline) {
      const at = performance.now();
      pruned = ((await metricValue(t.ew.admin, 'edgewatch_edges_pruned_total')) ?? 0) - prunedBefore;
      if (pruned > 0 && pruneStart === null) pruneStart = at - 100;
      if (pruned >= expired) pruneEnd = performance.now();
      await sleep(100);
    }
  })();
  await pacedLoad(
    t.client,
    t.workload,
    () => pruneEnd !== null || performance.now() > deadline,
    (sentAt, ms) => samples.push([sentAt, ms]),
    () => lateAt.push(performance.now()),
  );
  await poll;
  const start = pruneStart ?? Infinity;
  const end = pruneEnd ?? Infinity;
  const inPrune = (at: number): boolean => at >= start && at <= end;
  // Ticks before the expiry find nothing; keep clear of the first that does.
  const beforePrune = (at: number): boolean => at >= loadStart + WARMUP_MS && at < start - 2000;
  return {
    pages,
    expired,
    pruned,
    writeS,
    pruneS: pruneStart !== null && pruneEnd !== null ? (end - start) / 1000 : null,
    before: samples.filter(([at]) => beforePrune(at)).map(([, ms]) => ms),
    during: samples.filter(([at]) => inPrune(at)).map(([, ms]) => ms),
    late: { before: lateAt.filter(beforePrune).length, during: lateAt.filter(inPrune).length },
    overlapped,
  };
}

export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}
