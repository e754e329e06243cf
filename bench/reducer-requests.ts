/**
 * Reducer-shaped OTLP requests, encoded with the OpenTelemetry JS serializer (not edgewatch's
 * code): ~1000 Metric messages of one data point each, a dozen metric names, ~15 reducer
 * attributes per point, the cluster as a resource attribute, delta sums 30 s apart.
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

/** One request: `metrics` Metric messages cycling over `edges` × NAMES, all points at `timeMs`. */
export function buildRequest(cluster: string, edges: Edge[], timeMs: number, metrics = 1000): { bytes: Buffer; points: number; watched: number } {
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

/** `shapes` requests over distinct edges (edgesPerRequest each), for `slots` 30 s time slots ending at `endMs`. */
export function buildWorkload(opts: { shapes: number; edgesPerRequest: number; slots: number; endMs: number; cluster?: string }): Array<{ bytes: Buffer; points: number; watched: number }> {
  const out = [];
  for (let slot = opts.slots - 1; slot >= 0; slot--) {
    const t = opts.endMs - (opts.endMs % 30_000) - slot * 30_000;
    for (let s = 0; s < opts.shapes; s++) {
      const edges = Array.from({ length: opts.edgesPerRequest }, (_, i) => ({ src: `app-${s}-${i}`, dst: `svc-${s}-${(i * 7) % opts.edgesPerRequest}` }));
      out.push(buildRequest(opts.cluster ?? 'bench-cluster', edges, t));
    }
  }
  return out;
}
