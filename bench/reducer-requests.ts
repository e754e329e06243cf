/**
 * Reducer-shaped OTLP requests, encoded with the OpenTelemetry JS serializer (not edgewatch's
 * code): ~1000 Metric messages of one data point each, a dozen metric names, ~15 reducer
 * attributes per point, the cluster as a resource attribute, delta sums over 30 s. Point times
 * are rewritten to the current time on every send (StampedRequest).
 */
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { ValueType, type HrTime } from '@opentelemetry/api';

export const NAMES = ['tcp.bytes', 'tcp.packets', 'tcp.retrans', 'tcp.syn_timeouts', 'tcp.new_sockets', 'tcp.resets', 'tcp.active', 'tcp.rtt.average', 'udp.bytes', 'udp.packets', 'udp.drops', 'udp.active'];
export const WATCHED = new Set(['tcp.packets', 'udp.packets']);

export interface Edge {
  src: string;
  dst: string;
}

const hr = (ms: number): HrTime => [Math.floor(ms / 1000), (ms % 1000) * 1e6];

function attrs(e: Edge, i: number): Record<string, string> {
  const zone = i % 2 ? 'eu-west-1b' : 'eu-west-1a';
  return {
    'source.workload.name': e.src,
    'source.namespace.name': 'shop',
    'source.availability_zone': 'eu-west-1a',
    'source.environment': 'prod',
    'source.resolution_type': 'K8S_CONTAINER',
    'source.process.name': `${e.src}-proc`,
    'source.container.name': e.src,
    'dest.workload.name': e.dst,
    'dest.namespace.name': 'shop',
    'dest.availability_zone': zone,
    'dest.environment': 'prod',
    'dest.resolution_type': 'K8S_CONTAINER',
    'dest.process.name': `${e.dst}-proc`,
    'dest.container.name': e.dst,
    az_equal: String(zone === 'eu-west-1a'),
    sf_product: 'network-explorer',
    aggregation: 'workload',
  };
}

export interface BenchRequest {
  bytes: Buffer;
  points: number;
  watched: number;
}

/** One request: `metrics` Metric messages cycling over `edges` × NAMES, all points at `timeMs`. */
export function buildRequest(cluster: string, edges: Edge[], timeMs: number, metrics = 1000): BenchRequest {
  const list: MetricData[] = [];
  let watched = 0;
  for (let i = 0; list.length < metrics; i++) {
    const e = edges[Math.floor(i / NAMES.length) % edges.length];
    const name = NAMES[i % NAMES.length];
    if (WATCHED.has(name)) watched++;
    const point = { startTime: hr(timeMs - 30_000), endTime: hr(timeMs), attributes: attrs(e, i), value: 1 + (i % 97) };
    const descriptor = { name, description: '', unit: '', valueType: name.endsWith('.average') ? ValueType.DOUBLE : ValueType.INT };
    list.push(
      name.endsWith('.active') || name.endsWith('.average')
        ? { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints: [point] }
        : { descriptor, aggregationTemporality: AggregationTemporality.DELTA, dataPointType: DataPointType.SUM, dataPoints: [point], isMonotonic: true },
    );
  }
  const rm: ResourceMetrics = {
    resource: resourceFromAttributes({ 'k8s.cluster.name': cluster }),
    scopeMetrics: [{ scope: { name: '' }, metrics: list }],
  };
  const bytes = ProtobufMetricsSerializer.serializeRequest(rm);
  if (!bytes) throw new Error('serializer returned nothing');
  return { bytes: Buffer.from(bytes), points: list.length, watched };
}

/** Where each point's start and end time (fixed64 nanoseconds) sit in a request's bytes. */
export interface TimeOffsets {
  start: number[];
  end: number[];
}

/** Offsets of the times of a request built by buildRequest at `timeMs` (found by their tagged values). */
export function timeOffsets(req: BenchRequest, timeMs: number): TimeOffsets {
  const find = (tag: number, ms: number): number[] => {
    const needle = Buffer.alloc(9);
    needle[0] = tag;
    needle.writeBigUInt64LE(BigInt(ms) * 1_000_000n, 1);
    const at: number[] = [];
    for (let i = req.bytes.indexOf(needle); i >= 0; i = req.bytes.indexOf(needle, i + 9)) at.push(i + 1);
    return at;
  };
  // NumberDataPoint.start_time_unix_nano = 2 and time_unix_nano = 3, both fixed64.
  const offsets = { start: find(0x11, timeMs - 30_000), end: find(0x19, timeMs) };
  if (offsets.start.length !== req.points || offsets.end.length !== req.points) throw new Error(`found ${offsets.end.length} point times in a request of ${req.points} points`);
  return offsets;
}

/** A request whose point times can be moved: each send carries the current time, as a collector's would. */
export class StampedRequest implements BenchRequest {
  readonly points: number;
  readonly watched: number;
  readonly bytes: Buffer;
  private readonly offsets: TimeOffsets;

  constructor(req: BenchRequest, timeMs: number) {
    this.bytes = req.bytes;
    this.points = req.points;
    this.watched = req.watched;
    this.offsets = timeOffsets(req, timeMs);
  }

  /** Set every point to end at `ms` (start 30 s earlier). grpc-js copies the bytes when it frames a message. */
  stamp(ms: number): Buffer {
    const end = BigInt(ms) * 1_000_000n;
    const start = end - 30_000_000_000n;
    for (const o of this.offsets.end) this.bytes.writeBigUInt64LE(end, o);
    for (const o of this.offsets.start) this.bytes.writeBigUInt64LE(start, o);
    return this.bytes;
  }
}

/**
 * `shapes` requests over distinct edges (edgesPerRequest each), `copies` times over (distinct
 * buffers, so a buffer is restamped only long after its last send), all at `timeMs`.
 */
export function buildWorkload(opts: { shapes: number; edgesPerRequest: number; copies: number; timeMs: number; cluster?: string }): StampedRequest[] {
  const out: StampedRequest[] = [];
  for (let c = 0; c < opts.copies; c++) {
    for (let s = 0; s < opts.shapes; s++) {
      const edges = Array.from({ length: opts.edgesPerRequest }, (_, i) => ({ src: `app-${s}-${i}`, dst: `svc-${s}-${(i * 7) % opts.edgesPerRequest}` }));
      out.push(new StampedRequest(buildRequest(opts.cluster ?? 'bench-cluster', edges, opts.timeMs), opts.timeMs));
    }
  }
  return out;
}
