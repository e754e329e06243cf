/**
 * `npm run bench:new-edges`: a first deploy, every edge new. Reducer-shaped requests (996
 * Metric messages, 166 watched: 83 workload pairs × TCP and UDP, bench/scale-workload.ts) whose
 * workload pairs are never sent twice drive the built edgewatch with the default storm cap (50
 * alerts per cluster per minute; the rest held back and summarised), on SQLite and on Redis, in
 * two modes: `learning_period` 0 (every new edge an alert candidate through the storm guard) and
 * a cluster in its learning period (new edges recorded silently). New edges/s are counted from
 * the store (count before and after each round), and the run checks that the store holds every
 * distinct edge sent. In interleaved rounds each target is also driven with requests of the same
 * shape whose edges are all known (last-seen refreshes): the ceiling of that request shape on
 * this machine, measured in the same run.
 *
 *   BENCH_NEW_STORES   sqlite,redis (default both)
 *   BENCH_NEW_MODES    alerting,learning (default both)
 *   BENCH_SECONDS      new-edge load per target, split over the rounds (default 12; the known
 *                      rounds take as long again)
 *   BENCH_ROUNDS       interleaved rounds (default 3)
 *   BENCH_INFLIGHT     requests in flight (default 8)
 *   BENCH_CPU_PROF     a directory: each edgewatch writes a V8 CPU profile there on exit
 *   BENCH_SUMMARY_WAIT seconds to wait for the storm summaries of the last window (default 80; 0: skip)
 *   BENCH_KNOWN        0: no known-edge rounds (profiling the new-edge path alone)
 *   BENCH_REDIS_STATS  1: print each Redis target's busiest commands (INFO commandstats, by time)
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@grpc/grpc-js';
import { AlertTally } from './alert-tally';
import { edgeCounter, type EdgeCounter } from './edge-count';
import { client as clientFor, type LoadResult } from './load';
import { httpGet, redisCommandCalls, startEdgewatch, storeOps, tempDbPath, type Proc } from './procs';
import { runScaleLoad } from './scale-load';
import { PAIRS_PER_REQUEST, ScaleWorkload } from './scale-workload';
import { startRedis, type RedisServer } from '../test/helpers/redis-server';
import { serviceNodeFlags } from '../test/helpers/node-flags';

const STORES = (process.env.BENCH_NEW_STORES ?? 'sqlite,redis').split(',');
const MODES = (process.env.BENCH_NEW_MODES ?? 'alerting,learning').split(',') as Mode[];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 12);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 8);
const CPU_PROF = process.env.BENCH_CPU_PROF;
const SUMMARY_WAIT_S = Number(process.env.BENCH_SUMMARY_WAIT ?? 80);
const KNOWN = process.env.BENCH_KNOWN !== '0';
const REDIS_STATS = process.env.BENCH_REDIS_STATS === '1';
/** Workload pairs the new-edge traffic may use: never wraps within a run (2 edges per pair). */
const PAIRS = 50_000_000;
const STORM_CAP = '50';

type Mode = 'alerting' | 'learning';

interface Target {
  store: string;
  mode: Mode;
  url: string;
  ew: Proc & { grpc: number; admin: number };
  redis: RedisServer | null;
  client: Client;
  tally: AlertTally;
  counter: EdgeCounter;
  fresh: ScaleWorkload;
  known: ScaleWorkload;
  /** Requests of new edges issued (answered or not): their pairs are taken. */
  freshIssued: number;
  newRounds: Array<LoadResult & { counted: number }>;
  knownRounds: LoadResult[];
  ops: number;
  cmds: number;
  /** CPU seconds used during the new-edge rounds: edgewatch's process, and redis-server's. */
  cpuNew: { ew: number; redis: number };
  /** The same over the known-edge rounds. */
  cpuKnown: { ew: number; redis: number };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

function rss(pid: number | undefined): string {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? `${Math.round(Number(m[1]) / 1024)} MiB` : '?';
}

/** Sum of a counter on /metrics over the label sets that contain `labels` (e.g. `reason="storm"`). */
async function counter(admin: number, name: string, labels = ''): Promise<number> {
  const { body } = await httpGet(admin, '/metrics');
  let n = 0;
  for (const m of body.matchAll(new RegExp(`^${name}(?:\\{([^}]*)\\})? ([0-9.e+-]+)$`, 'gm'))) if ((m[1] ?? '').includes(labels)) n += Number(m[2]);
  return n;
}

/** CPU seconds (user + system) of a process so far, from /proc (clock ticks of 10 ms). */
function procCpu(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** CPU seconds so far of the target's edgewatch and its redis-server (INFO cpu). */
function cpuNow(t: Pick<Target, 'ew' | 'redis'>): { ew: number; redis: number } {
  let redis = 0;
  if (t.redis) for (const m of t.redis.cli('info', 'cpu').matchAll(/^used_cpu_(?:user|sys):([0-9.]+)/gm)) redis += Number(m[1]);
  return { ew: procCpu(t.ew.child.pid), redis };
}

function addCpu(acc: { ew: number; redis: number }, a: { ew: number; redis: number }, b: { ew: number; redis: number }): void {
  acc.ew += b.ew - a.ew;
  acc.redis += b.redis - a.redis;
}

async function opsNow(t: Pick<Target, 'ew' | 'redis'>): Promise<{ ops: number; cmds: number }> {
  return { ops: await storeOps(t.ew.admin), cmds: t.redis ? redisCommandCalls(t.redis) : 0 };
}

async function start(store: string, mode: Mode, now: number): Promise<Target> {
  const redis = store === 'redis' ? await startRedis() : null;
  const url = redis ? redis.url : `sqlite:${tempDbPath()}`;
  const tally = new AlertTally();
  const hook = await tally.start();
  const env: Record<string, string> = {
    EDGEWATCH_LEARNING_PERIOD: mode === 'learning' ? '24h' : '0',
    EDGEWATCH_STORM_MAX_ALERTS_PER_MINUTE: STORM_CAP,
  };
  const flags = CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${join(CPU_PROF, `${store}-${mode}`)}`] : [];
  const ew = await startEdgewatch(url, hook, env, flags);
  const client = clientFor(ew.grpc);
  const fresh = new ScaleWorkload(PAIRS, now);
  // Warm-up (JIT, connections): new edges, which the known rounds then send again.
  const warm = await runScaleLoad(client, fresh, INFLIGHT, 1500);
  const freshIssued = warm.requests + warm.errors;
  const known = new ScaleWorkload(freshIssued * PAIRS_PER_REQUEST, now);
  return { store, mode, url, ew, redis, client, tally, counter: edgeCounter(url), fresh, known, freshIssued, newRounds: [], knownRounds: [], ops: 0, cmds: 0, cpuNew: { ew: 0, redis: 0 }, cpuKnown: { ew: 0, redis: 0 } };
}

async function round(t: Target, ms: number): Promise<void> {
  const before = await t.counter.count();
  const o = await opsNow(t);
  const c = cpuNow(t);
  const r = await runScaleLoad(t.client, t.fresh, INFLIGHT, ms);
  addCpu(t.cpuNew, c, cpuNow(t));
  const counted = (await t.counter.count()) - before;
  const o2 = await opsNow(t);
  t.ops += o2.ops - o.ops;
  t.cmds += o2.cmds - o.cmds;
  t.freshIssued += r.requests + r.errors;
  t.newRounds.push({ ...r, counted });
  if (!KNOWN) return;
  const k = cpuNow(t);
  t.knownRounds.push(await runScaleLoad(t.client, t.known, INFLIGHT, ms));
  addCpu(t.cpuKnown, k, cpuNow(t));
}

/** Until the storm summaries account for every held-back edge (the last window ends, then its grace). */
async function awaitSummaries(targets: Target[]): Promise<void> {
  const deadline = Date.now() + SUMMARY_WAIT_S * 1000;
  for (;;) {
    const open = [];
    for (const t of targets) if (t.tally.heldBack < (await counter(t.ew.admin, 'edgewatch_alerts_suppressed_total', 'reason="storm"'))) open.push(t);
    if (open.length === 0 || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Where the Redis server's time went: the busiest commands (scripts and the commands they call). */
function printRedisStats(t: Target): void {
  const rows = [...(t.redis?.cli('info', 'commandstats') ?? '').matchAll(/^cmdstat_(\S+):calls=(\d+),usec=(\d+)/gm)].map((m) => ({ cmd: m[1], calls: Number(m[2]), usec: Number(m[3]) }));
  rows.sort((a, b) => b.usec - a.usec);
  console.log(`\nredis (${t.mode}) busiest: ${rows.slice(0, 12).map((r) => `${r.cmd} ${(r.usec / 1e6).toFixed(2)} s / ${fmt(r.calls)}`).join(', ')}`);
}

async function main(): Promise<void> {
  console.log(`edgewatch new-edge bench — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version} ${serviceNodeFlags().join(' ')}, ${new Date().toISOString()}`);
  console.log(`every edge new; requests of 996 Metric messages, 166 watched (83 workload pairs × TCP, UDP); storm cap ${STORM_CAP} per cluster per minute; ${ROUNDS} rounds × ${(SECONDS / ROUNDS).toFixed(1)} s of new edges (and as long of known edges) per target, ${INFLIGHT} in flight\n`);
  const now = Date.now();
  const targets: Target[] = [];
  try {
    for (const store of STORES) for (const mode of MODES) targets.push(await start(store, mode, now));
    for (let r = 0; r < ROUNDS; r++) for (const t of targets) await round(t, (SECONDS / ROUNDS) * 1000);
    if (SUMMARY_WAIT_S > 0) await awaitSummaries(targets);

    console.log('| store | mode | new edges/s (store count) | × known-edge requests | × per round | in store = sent | alerts enqueued | held back (storm) | summaries (held back in them) | silent (learning) | store ops / new edge | Redis commands / new edge | CPU µs / new edge: edgewatch + redis-server | CPU µs / known point | errors | RSS |');
    console.log('|---|---|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const t of targets) {
      const seconds = sum(t.newRounds.map((x) => x.seconds));
      const counted = sum(t.newRounds.map((x) => x.counted));
      const newRate = counted / seconds;
      // Same request shape, all edges known: the ceiling in watched points/s.
      const knownRate = KNOWN ? sum(t.knownRounds.map((x) => x.watched)) / sum(t.knownRounds.map((x) => x.seconds)) : NaN;
      const perRound = KNOWN ? t.newRounds.map((x, i) => (x.counted / x.seconds / (t.knownRounds[i].watched / t.knownRounds[i].seconds)).toFixed(2)).join(' ') : '';
      const inStore = await t.counter.count();
      const sent = t.freshIssued * PAIRS_PER_REQUEST * 2;
      const errors = sum([...t.newRounds, ...t.knownRounds].map((x) => x.errors));
      const enq = await counter(t.ew.admin, 'edgewatch_alerts_enqueued_total');
      const storm = await counter(t.ew.admin, 'edgewatch_alerts_suppressed_total', 'reason="storm"');
      const learning = await counter(t.ew.admin, 'edgewatch_alerts_suppressed_total', 'reason="learning"');
      const cmds = t.redis ? (t.cmds / counted).toFixed(2) : '';
      const us = (cpu: { ew: number; redis: number }, n: number): string => (t.redis ? `${((cpu.ew * 1e6) / n).toFixed(1)} + ${((cpu.redis * 1e6) / n).toFixed(1)}` : ((cpu.ew * 1e6) / n).toFixed(1));
      const knownPoints = sum(t.knownRounds.map((x) => x.watched));
      console.log(
        `| ${t.store} | ${t.mode} | ${fmt(newRate)} | ${(newRate / knownRate).toFixed(2)} (${fmt(knownRate)}) | ${perRound} | ${inStore === sent ? 'yes' : 'NO'} (${fmt(inStore)}) | ${fmt(enq)} | ${fmt(storm)} | ${t.tally.summaries} (${fmt(t.tally.heldBack)}) | ${fmt(learning)} | ${(t.ops / counted).toFixed(4)} | ${cmds} | ${us(t.cpuNew, counted)} | ${KNOWN ? us(t.cpuKnown, knownPoints) : ''} | ${errors} | ${rss(t.ew.child.pid)} |`,
      );
    }
    if (REDIS_STATS) for (const t of targets) if (t.redis) printRedisStats(t);
    console.log('\ntarget: ≥ 50,000 new edges/s into SQLite and into Redis; every distinct edge sent in the store; every held-back edge in a summary');
  } finally {
    for (const t of targets) {
      t.client.close();
      await t.ew.stop();
      await t.counter.close();
      await t.tally.stop();
      await t.redis?.dispose();
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
