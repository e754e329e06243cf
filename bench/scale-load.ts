/** Closed-loop load over a ScaleWorkload, and the time a (re)started edgewatch takes to steady throughput. */
import type { Client } from '@grpc/grpc-js';
import { exportOnce, type LoadResult } from './load';
import { httpGet } from './procs';
import type { ScaleWorkload } from './scale-workload';

/**
 * `inflight` requests outstanding at all times for `durationMs`, points stamped `stampMs()`
 * (default: the send time); `done(ms)` is told each completion (performance.now()).
 */
export async function runScaleLoad(c: Client, w: ScaleWorkload, inflight: number, durationMs: number, done?: (ms: number) => void, until?: () => boolean, stampMs: () => number = Date.now): Promise<LoadResult> {
  const res: LoadResult = { requests: 0, points: 0, watched: 0, seconds: 0, errors: 0 };
  const start = performance.now();
  const deadline = start + durationMs;
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline && !until?.()) {
      try {
        await exportOnce(c, w.take(stampMs()));
        res.requests++;
        res.points += w.points;
        res.watched += w.watched;
        done?.(performance.now());
      } catch {
        res.errors++;
        await new Promise((r) => setTimeout(r, 50)); // UNAVAILABLE while the store initialises
      }
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  res.seconds = (performance.now() - start) / 1000;
  return res;
}

/** One value of edgewatch's /metrics (first series of that name), or undefined. */
export async function metricValue(adminPort: number, name: string): Promise<number | undefined> {
  const { body } = await httpGet(adminPort, '/metrics');
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)`, 'm').exec(body);
  return m ? Number(m[1]) : undefined;
}

export interface SteadyResult {
  /** Seconds from spawning the process to its first steady window's end; null: not within the limit. */
  steadyS: number | null;
  /** Seconds from spawning to /readyz answering. */
  readyS: number;
  /** Seconds from spawning until the warm fill was seen finished (null: not seen / off). */
  warmedS: number | null;
  /** Seconds from spawning until cache misses (store lookups) fell below 1 % of lookups over 2 s; null: not within the limit. */
  missesSettledS: number | null;
  /** Points per second in each second from spawning (the ramp). */
  perSecond: number[];
}

/**
 * Drive load at a process started at `spawnedAt` (performance.now()) and ready now, until a
 * window of `windowS` seconds reaches `target` points/s, or `limitS` pass.
 */
export async function timeToSteady(c: Client, w: ScaleWorkload, inflight: number, adminPort: number, spawnedAt: number, target: number, limitS: number, windowS = 2): Promise<SteadyResult> {
  const readyS = (performance.now() - spawnedAt) / 1000;
  const completions: number[] = [];
  let steadyS: number | null = null;
  let warmedS: number | null = null;
  const check = setInterval(() => {
    const now = performance.now();
    const inWindow = completions.filter((t) => t >= now - windowS * 1000).length;
    if (now - spawnedAt >= (readyS + windowS) * 1000 && (inWindow * w.points) / windowS >= target) steadyS ??= (now - spawnedAt) / 1000;
  }, 100);
  let missesSettledS: number | null = null;
  const lookups: Array<{ at: number; hit: number; miss: number }> = [];
  const poll = setInterval(() => {
    void (async () => {
      if (warmedS === null && (await metricValue(adminPort, 'edgewatch_cache_warming')) === 0) warmedS = (performance.now() - spawnedAt) / 1000;
      const hit = (await metricValue(adminPort, 'edgewatch_cache_lookups_total\\{result="hit"\\}')) ?? 0;
      const miss = (await metricValue(adminPort, 'edgewatch_cache_lookups_total\\{result="miss"\\}')) ?? 0;
      const at = performance.now();
      lookups.push({ at, hit, miss });
      const old = lookups.find((l) => l.at >= at - 2000);
      if (old && old.at < at - 1000 && missesSettledS === null) {
        const [dh, dm] = [hit - old.hit, miss - old.miss];
        if (dh + dm > 0 && dm / (dh + dm) < 0.01) missesSettledS = (at - spawnedAt) / 1000;
      }
    })().catch(() => undefined);
  }, 500);
  try {
    // Until both throughput and store lookups have settled (a slow steady rate is reached early).
    await runScaleLoad(c, w, inflight, limitS * 1000, (t) => completions.push(t), () => steadyS !== null && missesSettledS !== null);
  } finally {
    clearInterval(check);
    clearInterval(poll);
  }
  const perSecond: number[] = [];
  for (const t of completions) {
    const s = Math.floor((t - spawnedAt) / 1000);
    while (perSecond.length <= s) perSecond.push(0);
    perSecond[s] += w.points;
  }
  return { steadyS, readyS, warmedS, missesSettledS, perSecond };
}
