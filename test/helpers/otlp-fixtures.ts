/**
 * Builders of OTLP metrics requests shaped like the OpenTelemetry eBPF reducer's (one data
 * point per Metric, ~1000 Metrics, a dozen names, every label a data-point attribute, the
 * cluster as a resource attribute), shared by tests and benchmarks. Protobuf bytes come from
 * protobufjs loading proto/ (the same .proto files the service ships); the plain message
 * object is already in OTLP/JSON shape (lowerCamelCase, 64-bit ints as decimal strings), so
 * the JSON body is its JSON.stringify. Deterministic: same options, same bytes.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import * as protobuf from 'protobufjs';
import type { DecoderOptions } from '../../src/decode/decoder';

const SERVICE_PROTO = 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto';
export const REQUEST_TYPE = 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest';

/** The repository's proto/ directory: the nearest one above this file (also when compiled elsewhere, e.g. dist-bench/). */
function findProtoDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'proto', SERVICE_PROTO))) return path.join(dir, 'proto');
    if (path.dirname(dir) === dir) throw new Error(`no proto/${SERVICE_PROTO} above ${__dirname}`);
  }
}

export const PROTO_DIR = findProtoDir();

let root: protobuf.Root | undefined;

/** protobufjs Root of the shipped OTLP .proto files (imports resolved against proto/). */
export function otlpRoot(): protobuf.Root {
  if (root === undefined) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_DIR, target));
    r.loadSync(SERVICE_PROTO);
    r.resolveAll();
    root = r;
  }
  return root;
}

export const requestType = (): protobuf.Type => otlpRoot().lookupType(REQUEST_TYPE);

/**
 * Encodes a plain OTLP object (OTLP/JSON shape) to ExportMetricsServiceRequest bytes. protobufjs
 * encodes plain objects directly (64-bit decimal strings included; verify() would reject them
 * and fromObject would only add time). Fields are written in .proto declaration order.
 */
export function encodeRequest(message: OtlpRequest): Buffer {
  const t = requestType();
  return Buffer.from(t.encode(message).finish());
}

// Plain OTLP shapes (OTLP/JSON mapping); enough typing for tests, not a full schema.
export interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string | number;
  doubleValue?: number | string;
  bytesValue?: string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
}
export interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
export interface OtlpNumberDataPoint {
  attributes?: OtlpKeyValue[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  asInt?: string;
  asDouble?: number;
  flags?: number;
}
export interface OtlpMetric {
  name: string;
  description?: string;
  unit?: string;
  gauge?: { dataPoints: OtlpNumberDataPoint[] };
  sum?: { dataPoints: OtlpNumberDataPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  histogram?: { dataPoints: unknown[]; aggregationTemporality?: number };
  summary?: { dataPoints: unknown[] };
}
export interface OtlpResourceMetrics {
  resource?: { attributes?: OtlpKeyValue[] };
  scopeMetrics?: Array<{ scope?: { name?: string; version?: string }; metrics?: OtlpMetric[] }>;
}
export interface OtlpRequest {
  resourceMetrics?: OtlpResourceMetrics[];
}

/** The names the reducer emits, in a fixed order. */
export const REDUCER_METRIC_NAMES: readonly string[] = [
  'tcp.bytes', 'tcp.packets', 'tcp.retrans', 'tcp.syn_timeouts', 'tcp.new_sockets', 'tcp.resets',
  'tcp.active', 'tcp.rtt.average', 'udp.bytes', 'udp.packets', 'udp.drops', 'udp.active',
];

/** The service defaults of the attribute options (config/options.ts). */
export const DEFAULT_DECODER_OPTIONS: DecoderOptions = {
  metrics: ['tcp.packets', 'udp.packets'],
  clusterAttr: 'k8s.cluster.name',
  sourceAttr: 'source.workload.name',
  destAttr: 'dest.workload.name',
  sourceNamespaceAttr: 'source.namespace.name',
  destNamespaceAttr: 'dest.namespace.name',
  trafficMetrics: [],
};

/** 2025-11-28T10:00:00Z, aligned to 30 s like the reducer's timestamps. */
export const FIXTURE_TIME_MS = 1764324000000;

export interface FixtureEdge {
  src: string;
  dst: string;
  proto?: 'tcp' | 'udp';
  /** Point time; 0 leaves time_unix_nano unset. Default: the request's timeMs. */
  timeMs?: number;
  /** Both namespaces (default 'default'); srcNs / dstNs override one side. '' omits it. */
  ns?: string;
  srcNs?: string;
  dstNs?: string;
}

export interface ReducerRequestOptions {
  /** Resource attribute k8s.cluster.name (default 'test-cluster'; '' leaves the resource empty). */
  cluster?: string;
  edges: FixtureEdge[];
  /** Metric messages in the request (default 1000). */
  metricsPerRequest?: number;
  /** Names to emit (default REDUCER_METRIC_NAMES). */
  names?: readonly string[];
  timeMs?: number;
}

/** A built request; `protobuf` and `json` are encoded on first access (then kept). */
export interface OtlpFixture {
  readonly message: OtlpRequest;
  readonly protobuf: Buffer;
  readonly json: string;
  /** Per Metric, in order: its name and the index of its edge in `edges`. */
  slots: Array<{ name: string; edge: number }>;
}

const str = (key: string, value: string): OtlpKeyValue[] => (value === '' ? [] : [{ key, value: { stringValue: value } }]);

function pointAttributes(e: FixtureEdge, i: number): OtlpKeyValue[] {
  const srcNs = e.srcNs ?? e.ns ?? 'default';
  const dstNs = e.dstNs ?? e.ns ?? 'default';
  const zone = i % 2 === 0 ? 'eu-west-1a' : 'eu-west-1b';
  return [
    ...str('source.workload.name', e.src), ...str('source.namespace.name', srcNs),
    ...str('source.availability_zone', 'eu-west-1a'), ...str('source.environment', 'prod'),
    ...str('source.resolution_type', 'K8S_CONTAINER'), ...str('source.process.name', `${e.src}-proc`),
    ...str('source.container.name', e.src),
    ...str('dest.workload.name', e.dst), ...str('dest.namespace.name', dstNs),
    ...str('dest.availability_zone', zone), ...str('dest.environment', 'prod'),
    ...str('dest.resolution_type', 'K8S_CONTAINER'), ...str('dest.process.name', `${e.dst}-proc`),
    ...str('dest.container.name', e.dst),
    ...str('az_equal', zone === 'eu-west-1a' ? 'true' : 'false'), ...str('sf_product', 'network-explorer'),
    ...str('aggregation', 'workload'),
  ];
}

function metricOf(name: string, e: FixtureEdge, i: number, defaultTime: number): OtlpMetric {
  const t = Math.floor(e.timeMs ?? defaultTime);
  const point: OtlpNumberDataPoint = { attributes: pointAttributes(e, i) };
  if (t !== 0) {
    point.startTimeUnixNano = `${t - 30000}000000`;
    point.timeUnixNano = `${t}000000`;
  }
  if (name.endsWith('.average')) point.asDouble = 0.25 + (i % 100) / 8;
  else point.asInt = String(1 + (i % 997));
  // Gauges for *.active and *.average; everything else a delta monotonic Sum.
  if (name.endsWith('.active') || name.endsWith('.average')) return { name, gauge: { dataPoints: [point] } };
  return { name, sum: { dataPoints: [point], aggregationTemporality: 1, isMonotonic: true } };
}

/**
 * A reducer-shaped request: edges are cycled, each contributing one Metric per name of its
 * protocol (8 tcp, 4 udp by default), until metricsPerRequest Metrics are emitted.
 */
export function reducerRequest(opts: ReducerRequestOptions): OtlpFixture {
  const names = opts.names ?? REDUCER_METRIC_NAMES;
  const total = opts.metricsPerRequest ?? 1000;
  const defaultTime = opts.timeMs ?? FIXTURE_TIME_MS;
  const byProto = { tcp: names.filter((n) => n.startsWith('tcp.')), udp: names.filter((n) => n.startsWith('udp.')) };
  const metrics: OtlpMetric[] = [];
  const slots: OtlpFixture['slots'] = [];
  const usable = opts.edges.some((e) => byProto[e.proto ?? 'tcp'].length > 0);
  for (let round = 0; usable && metrics.length < total; round++) {
    for (let ei = 0; ei < opts.edges.length && metrics.length < total; ei++) {
      const e = opts.edges[ei];
      for (const name of byProto[e.proto ?? 'tcp']) {
        if (metrics.length >= total) break;
        metrics.push(metricOf(name, e, metrics.length, defaultTime));
        slots.push({ name, edge: ei });
      }
    }
  }
  const cluster = opts.cluster ?? 'test-cluster';
  const message: OtlpRequest = {
    resourceMetrics: [{ resource: { attributes: str('k8s.cluster.name', cluster) }, scopeMetrics: [{ metrics }] }],
  };
  return fixtureOf(message, slots);
}

/** Wraps a message as an OtlpFixture with lazily encoded protobuf / JSON forms. */
export function fixtureOf(message: OtlpRequest, slots: OtlpFixture['slots'] = []): OtlpFixture {
  let pb: Buffer | undefined;
  let json: string | undefined;
  return {
    message,
    slots,
    get protobuf(): Buffer {
      return (pb ??= encodeRequest(message));
    },
    get json(): string {
      return (json ??= JSON.stringify(message));
    },
  };
}

/** `n` distinct deterministic edges (`svc-0 → svc-1`, …), half tcp, half udp when `mixed`. */
export function fixtureEdges(n: number, mixed = false): FixtureEdge[] {
  return Array.from({ length: n }, (_, i) => ({
    src: `svc-${i}`,
    dst: `svc-${i + 1}`,
    proto: mixed && i % 2 === 1 ? 'udp' : 'tcp',
    ns: `ns-${i % 7}`,
  }));
}
