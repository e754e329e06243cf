/**
 * Synthetic reducer traffic for the traffic-anomaly detections (README "Anomalous traffic"): per
 * edge and metric one point every 30 s over `days` days ending at `nowMs`, ordinary noise (a
 * seeded normal around a daily pattern), and optional spikes at the end. Deterministic: same
 * options, same values. The series is kept as TrafficSample[] (what the decoder would make of
 * it, for offline reference computations) and encoded as ExportMetricsServiceRequest bytes with
 * the OpenTelemetry JS serializer (not edgewatch's code), one data point per Metric as the
 * reducer sends them, the cluster as a resource attribute.
 */
import { ValueType, type HrTime } from '@opentelemetry/api';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { TrafficSample } from '../../src/core/traffic';

// Looked up once: jest runs test files in a vm context, where each global lookup in a hot loop is slow.
const { cos, log, max, PI, round, sin, sqrt, abs, floor, imul } = Math;

export const STEP_MS = 30_000;
const DAY_MS = 86_400_000;

export interface HistoryEdge {
  src: string;
  dst: string;
  srcNamespace: string;
  dstNamespace: string;
  srcProcess: string;
  dstProcess: string;
  /** tcp: tcp.bytes + tcp.packets; udp: udp.bytes + udp.packets (unless `metrics` is given). */
  protocol: 'tcp' | 'udp';
  /** Metric names of this edge; default by protocol. */
  metrics?: string[];
}

/** Multiply the last `points` values (ending at nowMs) of one edge's metric by `factor`. */
export interface Spike {
  /** Index into `edges`. */
  edge: number;
  points: number;
  /** Default `<protocol>.bytes`. */
  metric?: string;
  /** Default 20. */
  factor?: number;
}

export interface HistoryOptions {
  cluster: string;
  edges: HistoryEdge[];
  /** Time of the last point; aligned down to 30 s. */
  nowMs: number;
  /** Default 30. */
  days?: number;
  /** Default 1. */
  seed?: number;
  spikes?: Spike[];
}

/** tcp.bytes × 20 on one edge for `minutes` ending at now (two points a minute). */
export const spike = (edge: number, minutes: number, factor = 20): Spike => ({ edge, points: minutes * (60_000 / STEP_MS), factor });

/**
 * A spike of exactly 5 points, each in its own 10 s bucket: 5 anomalous buckets, one short of
 * the rule's "more than 5", so it must not fire.
 */
export const shortSpike = (edge: number, factor = 20): Spike => ({ edge, points: 5, factor });

/** Mean value per metric name before the daily pattern and the noise. */
const BASE: Record<string, number> = { 'tcp.bytes': 40_000, 'tcp.packets': 60, 'udp.bytes': 8_000, 'udp.packets': 20 };
/** Daily amplitude and noise σ, relative to the mean. */
const DAILY = 0.3;
const NOISE = 0.1;
/**
 * Noise is a normal cut at ±2.5 σ, so the largest ordinary value is mean × 1.55, while the
 * baseline's σ (daily pattern and noise) is ≈ 0.23 × mean: mean + 3σ ≈ 1.70 × mean. Ordinary
 * noise therefore never makes an anomaly, whatever the seed; a × 20 spike always does.
 */
const NOISE_CUT = 2.5;

export const metricsOf = (e: HistoryEdge): string[] => e.metrics ?? [`${e.protocol}.bytes`, `${e.protocol}.packets`];

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal cut at ±NOISE_CUT (Box–Muller; redrawn when outside). */
function normal(rand: () => number): number {
  for (;;) {
    const z = sqrt(-2 * log(1 - rand())) * cos(2 * PI * rand());
    if (abs(z) <= NOISE_CUT) return z;
  }
}

/** Every point of the history, oldest first (then by edge, then by metric). */
export function historySamples(opts: HistoryOptions): TrafficSample[] {
  const now = opts.nowMs - (opts.nowMs % STEP_MS);
  const steps = (opts.days ?? 30) * (DAY_MS / STEP_MS);
  const series = opts.edges.flatMap((edge, ei) => metricsOf(edge).map((metric, mi) => ({ edge, ei, metric, rand: prng((opts.seed ?? 1) * 7919 + ei * 131 + mi), mean: (BASE[metric] ?? 100) * (1 + 0.25 * ei), phase: ei })));
  const factorAt = (ei: number, metric: string, stepsBeforeNow: number): number => {
    let f = 1;
    for (const s of opts.spikes ?? []) {
      if (s.edge === ei && (s.metric ?? `${opts.edges[ei].protocol}.bytes`) === metric && stepsBeforeNow < s.points) f *= s.factor ?? 20;
    }
    return f;
  };
  const out: TrafficSample[] = [];
  for (let k = steps - 1; k >= 0; k--) {
    const timeMs = now - k * STEP_MS;
    for (const s of series) {
      const daily = DAILY * sin((2 * PI * (timeMs % DAY_MS)) / DAY_MS + s.phase);
      const v = max(0, round(s.mean * (1 + daily + NOISE * normal(s.rand)) * factorAt(s.ei, s.metric, k)));
      const e = s.edge;
      out.push({ cluster: opts.cluster, metric: s.metric, value: v, timeMs, source: e.src, dest: e.dst, sourceNamespace: e.srcNamespace, destNamespace: e.dstNamespace, sourceProcess: e.srcProcess, destProcess: e.dstProcess });
    }
  }
  return out;
}

const hr = (ms: number): HrTime => [floor(ms / 1000), (ms % 1000) * 1e6];

function attributes(s: TrafficSample): Record<string, string> {
  return {
    'source.workload.name': s.source,
    'source.namespace.name': s.sourceNamespace,
    'source.process.name': s.sourceProcess,
    'dest.workload.name': s.dest,
    'dest.namespace.name': s.destNamespace,
    'dest.process.name': s.destProcess,
    sf_product: 'network-explorer',
  };
}

/** One request of these samples, straight from the serializer (one Metric each: delta monotonic int sums over 30 s), all of one cluster. */
export function serializeSamples(samples: TrafficSample[]): Buffer {
  const metrics: MetricData[] = samples.map((s) => ({
    descriptor: { name: s.metric, description: '', unit: '', valueType: ValueType.INT },
    aggregationTemporality: AggregationTemporality.DELTA,
    dataPointType: DataPointType.SUM,
    isMonotonic: true,
    dataPoints: [{ startTime: hr(s.timeMs - STEP_MS), endTime: hr(s.timeMs), attributes: attributes(s), value: s.value }],
  }));
  const rm: ResourceMetrics = {
    resource: resourceFromAttributes({ 'k8s.cluster.name': samples[0]?.cluster ?? '' }),
    scopeMetrics: [{ scope: { name: 'network-explorer' }, metrics }],
  };
  const bytes = ProtobufMetricsSerializer.serializeRequest(rm);
  if (!bytes) throw new Error('serializer returned nothing');
  return Buffer.from(bytes);
}

/** Where each point's start time, time and as_int sit in a serialized request (all fixed 8 bytes on the wire). */
interface Template {
  bytes: Buffer;
  start: number[];
  end: number[];
  value: number[];
}

const templates = new Map<string, Template>();
const TEMPLATE_MS = 1_000_000_000_000;
const TEMPLATE_VALUE = 2 ** 40;

/** Offsets of the 8 bytes after each occurrence of `tag` + `v` (little-endian); one per point expected. */
function offsetsOf(bytes: Buffer, tag: number, values: bigint[]): number[] {
  return values.map((v) => {
    const needle = Buffer.alloc(9);
    needle[0] = tag;
    needle.writeBigInt64LE(v, 1);
    const at = bytes.indexOf(needle);
    if (at < 0 || bytes.indexOf(needle, at + 1) >= 0) throw new Error('template: a placeholder is missing or repeated');
    return at + 1;
  });
}

function templateFor(samples: TrafficSample[]): Template {
  const signature = samples.map((s) => `${s.metric}\u0000${s.source}\u0000${s.dest}\u0000${s.sourceNamespace}\u0000${s.destNamespace}\u0000${s.sourceProcess}\u0000${s.destProcess}\u0000${s.cluster}`).join('\u0001');
  const known = templates.get(signature);
  if (known) return known;
  // Distinct placeholder times and values, so each field is found by its tagged bytes.
  const placeholders = samples.map((s, i) => ({ ...s, timeMs: TEMPLATE_MS + i * 1000, value: TEMPLATE_VALUE + i }));
  const bytes = serializeSamples(placeholders);
  const ns = (ms: number): bigint => BigInt(ms) * 1_000_000n;
  // NumberDataPoint: start_time_unix_nano = 2 and time_unix_nano = 3 (fixed64), as_int = 6 (sfixed64).
  const t: Template = {
    bytes,
    start: offsetsOf(bytes, 0x11, placeholders.map((p) => ns(p.timeMs - STEP_MS))),
    end: offsetsOf(bytes, 0x19, placeholders.map((p) => ns(p.timeMs))),
    value: offsetsOf(bytes, 0x31, placeholders.map((p) => BigInt(p.value))),
  };
  templates.set(signature, t);
  return t;
}

/**
 * The same bytes as serializeSamples, fast: the serializer runs once per shape of request (the
 * sequence of metric names and attributes) and later requests of that shape are its output with
 * the fixed-width times and values rewritten (serializing 700 k points takes ~10 s otherwise).
 */
export function encodeSamples(samples: TrafficSample[]): Buffer {
  const t = templateFor(samples);
  const out = Buffer.from(t.bytes);
  samples.forEach((s, i) => {
    const end = BigInt(s.timeMs) * 1_000_000n;
    out.writeBigUInt64LE(end, t.end[i]);
    out.writeBigUInt64LE(end - BigInt(STEP_MS) * 1_000_000n, t.start[i]);
    out.writeBigInt64LE(BigInt(s.value), t.value[i]);
  });
  return out;
}

/** Index ranges of `samples` (in order) that share a point time: one 30 s step each. */
function steps(samples: TrafficSample[]): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < samples.length; ) {
    let j = i;
    while (j < samples.length && samples[j].timeMs === samples[i].timeMs) j++;
    out.push([i, j]);
    i = j;
  }
  return out;
}

/**
 * The samples in order, in requests of whole 30 s steps of at most `pointsPerRequest` points
 * (the reducer batches ~1000; whole steps keep the requests of one shape).
 */
export function toRequests(samples: TrafficSample[], pointsPerRequest = 1000): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  let to = 0;
  for (const [, j] of steps(samples)) {
    if (j - from > pointsPerRequest && to > from) {
      out.push(encodeSamples(samples.slice(from, to)));
      from = to;
    }
    to = j;
  }
  if (to > from) out.push(encodeSamples(samples.slice(from, to)));
  return out;
}

/** One request per 30 s step, as a reducer's export of that step. */
export const toStepRequests = (samples: TrafficSample[]): Buffer[] => steps(samples).map(([i, j]) => encodeSamples(samples.slice(i, j)));

/** A TCP or UDP edge of workloads `<name>-src` → `<name>-dst`, each with its own process name. */
export function historyEdge(name: string, protocol: 'tcp' | 'udp' = 'tcp'): HistoryEdge {
  return { src: `${name}-src`, dst: `${name}-dst`, srcNamespace: 'shop', dstNamespace: 'shop', srcProcess: `${name}-client`, dstProcess: `${name}-server`, protocol };
}
