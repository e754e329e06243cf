/** Shared rig of the traffic-stage unit tests: a real MemoryStore, an injected clock, samples built from a few fields. */
import type { TrafficSample } from '../../../../src/core/traffic';
import { TrafficStage, type TrafficStageOptions } from '../../../../src/detect/traffic/traffic-stage';
import { MemoryStore } from '../../../../src/store/memory/memory-store';
import type { BaselineStore, StoredAlert } from '../../../../src/store/store';
import { createLogger } from '../../../../src/telemetry/logger';
import { Telemetry } from '../../../../src/telemetry/metrics';

export const S = 1000;
export const M = 60 * S;
export const H = 60 * M;
export const D = 24 * H;
/** An hour boundary, so clock hours are easy to reason about. */
export const T0 = Date.UTC(2026, 10, 28, 0, 0, 0);

export function sample(over: Partial<TrafficSample> = {}): TrafficSample {
  return {
    cluster: 'prod-eu',
    metric: 'tcp.bytes',
    value: 1000,
    timeMs: T0,
    source: 'frontend',
    dest: 'payments',
    sourceNamespace: 'shop',
    destNamespace: 'shop',
    sourceProcess: '',
    destProcess: '',
    ...over,
  };
}

export const STAGE_DEFAULTS: TrafficStageOptions = {
  detections: ['edge_traffic'],
  baselineScope: 'cluster',
  baselineWindowMs: 30 * D,
  detectionWindowMs: H,
  clockSkewMs: 5 * M,
  trafficMinBaselinePoints: 360,
  trafficAnomalySigma: 3,
  trafficMinAnomalies: 5,
  trafficStdevFloorRatio: 0.05,
  trafficMaxKeys: 1000,
  clusterAttr: 'k8s.cluster.name',
  sourceAttr: 'source.workload.name',
  destAttr: 'dest.workload.name',
  sourceNamespaceAttr: 'source.namespace.name',
  destNamespaceAttr: 'dest.namespace.name',
  sourceProcessAttr: 'source.process.name',
  destProcessAttr: 'dest.process.name',
};

export interface Rig {
  stage: TrafficStage;
  store: MemoryStore;
  clock: { now: number };
  alerts(): Promise<StoredAlert['alert'][]>;
}

export async function rig(over: Partial<TrafficStageOptions> = {}, wrap: (s: MemoryStore) => BaselineStore = (s) => s): Promise<Rig> {
  const clock = { now: T0 };
  const store = new MemoryStore({ now: () => clock.now });
  await store.init(['test']);
  const stage = new TrafficStage(wrap(store), { ...STAGE_DEFAULTS, now: () => clock.now, ...over }, new Telemetry(), createLogger('silent'));
  return { stage, store, clock, alerts: async () => (await store.listAlerts(1000)).map((a) => a.alert).reverse() };
}

/** Deterministic uniform [0, 1) numbers (mulberry32). */
export function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic standard normal numbers (Box–Muller over uniform(seed)). */
export function normal(seed: number): () => number {
  const u = uniform(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/**
 * Stream points in real time: one batch per 30 s reducer timestamp in [fromMs, toMs), the clock
 * `latencyMs` after the timestamp, a flush every `flushEveryMs` of simulated time (and one at the end).
 */
export async function stream(
  r: Rig,
  fromMs: number,
  toMs: number,
  batchAt: (t: number) => TrafficSample[],
  opts: { latencyMs?: number; flushEveryMs?: number } = {},
): Promise<void> {
  const latency = opts.latencyMs ?? 2 * S;
  const every = opts.flushEveryMs ?? 30 * S;
  let nextFlush = fromMs + every;
  for (let t = fromMs; t < toMs; t += 30 * S) {
    r.clock.now = t + latency;
    await r.stage.consume(batchAt(t));
    if (r.clock.now >= nextFlush) {
      await r.stage.flush();
      nextFlush += every;
    }
  }
  r.clock.now = toMs + latency;
  await r.stage.flush();
}
