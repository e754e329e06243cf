import type { Moments, TrafficKey, TrafficSample } from '../../core/traffic';
import type { TrafficDelta } from '../../store/store';
import { HOUR_MS } from '../../store/traffic-state';

/** Width of the buckets whose averages are judged (the searches' `span=10s`). */
export const BUCKET_MS = 10_000;

export function bucketOf(t: number): number {
  return Math.floor(t / BUCKET_MS) * BUCKET_MS;
}

/** Sum and count of one metric's points in one bucket: their average is what is judged. */
export interface BucketAcc {
  sum: number;
  count: number;
}

/** What is known in memory about one traffic key. */
export interface KeyState {
  readonly key: TrafficKey;
  readonly id: string;
  /** Of the latest sample (the alert's cluster, also under global scope, and namespaces). */
  cluster: string;
  sourceNamespace: string;
  destNamespace: string;
  /** Wall clock of the latest sample: idle keys leave (TrafficTable.dropIdle). */
  lastSampleAtMs: number;
  /** Open buckets: bucket start → metric → sum and count. */
  buckets: Map<number, Map<string, BucketAcc>>;
  /** Raw-point moments not yet written to the store: hour → metric → moments. */
  moments: Map<number, Map<string, Moments>>;
  /** The last baseline read for the key (null metrics: the store had none), per clock hour. */
  baseline: { hour: number; metrics: Record<string, Moments> | null } | null;
}

/** A bucket the watermark passed: its averages are judged once, then it is gone. */
export interface ClosedBucket {
  state: KeyState;
  bucketMs: number;
  metrics: Map<string, BucketAcc>;
}

/**
 * The in-memory aggregation of the traffic detectors: per key, the open 10 s buckets (sum and
 * count per metric) and the raw-point moments per clock hour waiting for the next flush. No store
 * call per point. Bounded: at most `maxKeys` keys (samples of further keys are refused and the
 * key counted in `refusedKeys`), and keys idle for long leave.
 */
export class TrafficTable {
  private readonly keys = new Map<string, KeyState>();
  /** Buckets ending at or before this were closed: a later point in one only feeds the baseline. */
  private closedThroughMs = -Infinity;
  /** Latest point time seen (the watermark's point-time part). */
  maxPointMs = -Infinity;
  /** Keys refused since the last takeRefused(), distinct (bounded by maxKeys; beyond, each sample counts). */
  private refused = new Set<string>();
  private refusedOverflow = 0;

  constructor(private readonly maxKeys: number) {}

  get size(): number {
    return this.keys.size;
  }

  get(id: string): KeyState | undefined {
    return this.keys.get(id);
  }

  /**
   * Add one point of `s` at (effective) time `t` to key `key` (id `id`): always to the hour's
   * moments, and to its bucket when the bucket is still open and starts at or after `evalFromMs`
   * (older buckets are late data: baseline only). False when the key was refused (table full).
   */
  add(key: TrafficKey, id: string, s: TrafficSample, t: number, nowMs: number, evalFromMs: number): boolean {
    const st = this.resolve(key, id, s.cluster, nowMs);
    if (st === undefined) return false;
    this.addTo(st, s, t, nowMs, evalFromMs);
    return true;
  }

  /** The key's state, created if the table has room; undefined (and the key counted as refused) when full. */
  resolve(key: TrafficKey, id: string, cluster: string, nowMs: number): KeyState | undefined {
    let st = this.keys.get(id);
    if (st === undefined) {
      if (this.keys.size >= this.maxKeys) {
        if (this.refused.size < this.maxKeys) this.refused.add(id);
        else if (!this.refused.has(id)) this.refusedOverflow++;
        return undefined;
      }
      st = { key, id, cluster, sourceNamespace: '', destNamespace: '', lastSampleAtMs: nowMs, buckets: new Map(), moments: new Map(), baseline: null };
      this.keys.set(id, st);
    }
    return st;
  }

  /** add() once the key's state is resolved (TrafficStage resolves once per run of samples of one edge). */
  addTo(st: KeyState, s: TrafficSample, t: number, nowMs: number, evalFromMs: number): void {
    // One NaN or Infinity would poison the key's moments for good (the store skips such deltas whole).
    if (!Number.isFinite(s.value)) return;
    st.cluster = s.cluster;
    if (s.sourceNamespace !== '') st.sourceNamespace = s.sourceNamespace;
    if (s.destNamespace !== '') st.destNamespace = s.destNamespace;
    st.lastSampleAtMs = nowMs;
    if (t > this.maxPointMs) this.maxPointMs = t;
    addMoments(st.moments, Math.floor(t / HOUR_MS), s.metric, s.value);
    const b = bucketOf(t);
    if (b + BUCKET_MS <= this.closedThroughMs || b < evalFromMs) return;
    let bucket = st.buckets.get(b);
    if (bucket === undefined) st.buckets.set(b, (bucket = new Map()));
    const acc = bucket.get(s.metric);
    if (acc === undefined) bucket.set(s.metric, { sum: s.value, count: 1 });
    else {
      acc.sum += s.value;
      acc.count++;
    }
  }

  /** Keys refused since the last call (each distinct key once, as far as the bound allows). */
  takeRefused(): number {
    const n = this.refused.size + this.refusedOverflow;
    this.refused = new Set();
    this.refusedOverflow = 0;
    return n;
  }

  /** Every key's pending moments as store deltas, taken out of the table (putBack on a failed write). */
  takeDeltas(): TrafficDelta[] {
    const out: TrafficDelta[] = [];
    for (const st of this.keys.values()) {
      if (st.moments.size === 0) continue;
      for (const [hour, metrics] of st.moments) for (const [metric, moments] of metrics) out.push({ key: st.id, hour, metric, moments });
      st.moments = new Map();
    }
    return out;
  }

  /** Deltas a failed write did not store: added back (they sum with what arrived meanwhile). */
  putBack(deltas: readonly TrafficDelta[]): void {
    for (const d of deltas) {
      const st = this.keys.get(d.key);
      // Keys leave only through dropIdle, which keeps keys with pending moments.
      if (st === undefined) continue;
      let metrics = st.moments.get(d.hour);
      if (metrics === undefined) st.moments.set(d.hour, (metrics = new Map()));
      const acc = metrics.get(d.metric);
      if (acc === undefined) metrics.set(d.metric, { ...d.moments });
      else {
        acc.n += d.moments.n;
        acc.sum += d.moments.sum;
        acc.sumSq += d.moments.sumSq;
      }
    }
  }

  /** Take out every open bucket that ends at or before `closeBeforeMs` (Infinity: all), oldest first per key. */
  closeBuckets(closeBeforeMs: number): ClosedBucket[] {
    const out: ClosedBucket[] = [];
    let latestEnd = this.closedThroughMs;
    for (const st of this.keys.values()) {
      if (st.buckets.size === 0) continue;
      const starts = [...st.buckets.keys()].filter((b) => b + BUCKET_MS <= closeBeforeMs).sort((x, y) => x - y);
      for (const b of starts) {
        out.push({ state: st, bucketMs: b, metrics: st.buckets.get(b) as Map<string, BucketAcc> });
        st.buckets.delete(b);
        if (b + BUCKET_MS > latestEnd) latestEnd = b + BUCKET_MS;
      }
    }
    this.closedThroughMs = Number.isFinite(closeBeforeMs) ? Math.max(this.closedThroughMs, closeBeforeMs) : latestEnd;
    return out;
  }

  /** Drop keys without a sample since `idleBeforeMs` (wall clock) and with nothing pending; returns how many. */
  dropIdle(idleBeforeMs: number): number {
    let n = 0;
    for (const [id, st] of this.keys) {
      if (st.lastSampleAtMs < idleBeforeMs && st.moments.size === 0 && st.buckets.size === 0) {
        this.keys.delete(id);
        n++;
      }
    }
    return n;
  }
}

function addMoments(byHour: Map<number, Map<string, Moments>>, hour: number, metric: string, v: number): void {
  let metrics = byHour.get(hour);
  if (metrics === undefined) byHour.set(hour, (metrics = new Map()));
  const m = metrics.get(metric);
  if (m === undefined) metrics.set(metric, { n: 1, sum: v, sumSq: v * v });
  else {
    m.n++;
    m.sum += v;
    m.sumSq += v * v;
  }
}
