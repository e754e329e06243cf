/**
 * A traffic key's stored baseline state (README "Anomalous traffic", "State"), shared by the
 * memory and SQLite stores; redis/lua/traffic-{add,read}.lua implement the same rules.
 *
 * Per key: a decayed base as of an anchor hour B (per metric, Σ_{h<B} δ^(B−1−h)·moments(h)) and
 * pending per-hour slots that addTrafficMoments adds to. A read at hour H folds every slot with
 * h < H into the base with weight δ^(B'−1−h), B' = max(B, H), after decaying the base by
 * δ^(B'−B); slots with h ≥ H stay pending. A slot written late for an hour before B folds in the
 * same way, so replicas' writes commute. Memory per key-metric: one base plus the hour or two
 * not read yet.
 */
import type { Moments } from '../core/traffic';
import type { TrafficBaseline, TrafficDelta } from './store';

export const HOUR_MS = 3_600_000;

export interface MetricState {
  /** Folded moments as of the key's anchor; null until something of this metric was folded. */
  base: Moments | null;
  /** Pending moments by clock hour. */
  slots: Map<number, Moments>;
}

export interface TrafficState {
  /** The hour the bases are as of; null until the first fold. */
  anchor: number | null;
  metrics: Map<string, MetricState>;
}

/** The clock hour prune compares with: floor(beforeMs / 1 h). Keys whose latest hour is before it go. */
export function pruneHour(beforeMs: number): number {
  return Math.floor(beforeMs / HOUR_MS);
}

/**
 * Deltas summed per (key, hour, metric), keys in first-seen order. Deltas with a non-finite
 * moment are skipped (one NaN point would poison a baseline for good); a non-integer hour is a
 * caller's bug (RangeError).
 */
export function groupDeltas(deltas: readonly TrafficDelta[]): Map<string, Map<string, Moments>> {
  const byKey = new Map<string, Map<string, Moments>>();
  for (const d of deltas) {
    if (!Number.isSafeInteger(d.hour)) throw new RangeError(`traffic delta hour must be an integer, got ${d.hour}`);
    const m = d.moments;
    if (!Number.isFinite(m.n) || !Number.isFinite(m.sum) || !Number.isFinite(m.sumSq)) continue;
    let slots = byKey.get(d.key);
    if (!slots) byKey.set(d.key, (slots = new Map()));
    // hour first, then the metric: a metric name may hold any character, an hour never '|'.
    const id = `${d.hour}|${d.metric}`;
    const acc = slots.get(id);
    if (acc) addInto(acc, m, 1);
    else slots.set(id, { n: m.n, sum: m.sum, sumSq: m.sumSq });
  }
  return byKey;
}

/** Splits an id of groupDeltas' inner map back into hour and metric. */
export function slotOf(id: string): { hour: number; metric: string } {
  const bar = id.indexOf('|');
  return { hour: Number(id.slice(0, bar)), metric: id.slice(bar + 1) };
}

/** The arguments of readTrafficBaselines (RangeError: a caller's bug, not the store's state). */
export function checkRead(hour: number, decayPerHour: number): void {
  if (!Number.isSafeInteger(hour)) throw new RangeError(`traffic baseline hour must be an integer, got ${hour}`);
  if (!(decayPerHour > 0 && decayPerHour <= 1)) throw new RangeError(`decayPerHour must be in (0, 1], got ${decayPerHour}`);
}

export function emptyState(): TrafficState {
  return { anchor: null, metrics: new Map() };
}

export function addMoments(state: TrafficState, hour: number, metric: string, m: Moments): void {
  let ms = state.metrics.get(metric);
  if (!ms) state.metrics.set(metric, (ms = { base: null, slots: new Map() }));
  const acc = ms.slots.get(hour);
  if (acc) addInto(acc, m, 1);
  else ms.slots.set(hour, { n: m.n, sum: m.sum, sumSq: m.sumSq });
}

/**
 * Folds the slots before `hour` (see the header). Returns whether the state changed, i.e.
 * whether a store must write it back.
 */
export function foldState(state: TrafficState, hour: number, decay: number): boolean {
  const folding = [...state.metrics.values()].some((ms) => [...ms.slots.keys()].some((h) => h < hour));
  if (state.anchor === null && !folding) return false;
  const anchor = state.anchor === null ? hour : Math.max(state.anchor, hour);
  if (anchor === state.anchor && !folding) return false;
  const scale = state.anchor === null ? 1 : decay ** (anchor - state.anchor);
  for (const ms of state.metrics.values()) {
    if (ms.base && scale !== 1) ms.base = { n: ms.base.n * scale, sum: ms.base.sum * scale, sumSq: ms.base.sumSq * scale };
    // Oldest first: the same order the Lua script adds in, so the stores round alike.
    for (const h of [...ms.slots.keys()].filter((x) => x < hour).sort((a, b) => a - b)) {
      const m = ms.slots.get(h) as Moments;
      ms.base ??= { n: 0, sum: 0, sumSq: 0 };
      addInto(ms.base, m, decay ** (anchor - 1 - h));
      ms.slots.delete(h);
    }
  }
  state.anchor = anchor;
  return true;
}

/** The folded bases (null: nothing folded, the key is absent from a read). */
export function baselineOf(key: string, state: TrafficState): TrafficBaseline | null {
  const metrics: Record<string, Moments> = {};
  let any = false;
  for (const [metric, ms] of state.metrics) {
    if (!ms.base) continue;
    metrics[metric] = { ...ms.base };
    any = true;
  }
  return any ? { key, metrics } : null;
}

/** The newest of the anchor and the pending hours (prune's "latest hour"); -Infinity for an empty state. */
export function latestHour(state: TrafficState): number {
  let latest = state.anchor ?? -Infinity;
  for (const ms of state.metrics.values()) for (const h of ms.slots.keys()) if (h > latest) latest = h;
  return latest;
}

function addInto(acc: Moments, m: Moments, w: number): void {
  acc.n += w * m.n;
  acc.sum += w * m.sum;
  acc.sumSq += w * m.sumSq;
}
