import { ValueType } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { OtlpDecoder } from '../../../src/decode/decoder';
import {
  DEFAULT_DECODER_OPTIONS, FIXTURE_TIME_MS, REDUCER_METRIC_NAMES, fixtureEdges, reducerRequest, requestType,
} from '../../helpers/otlp-fixtures';
import { plainResult } from './reference';

const decoder = new OtlpDecoder(DEFAULT_DECODER_OPTIONS);

describe('reducerRequest fixtures', () => {
  const f = reducerRequest({ cluster: 'prod-eu', edges: fixtureEdges(40, true) });

  test('reducer shape: 1000 Metrics with one point each, a dozen names, cluster on the resource', () => {
    const decoded = requestType().toObject(requestType().decode(f.protobuf), { longs: String }) as {
      resourceMetrics: Array<{ resource: { attributes: Array<{ key: string }> }; scopeMetrics: Array<{ metrics: Array<{ name: string; sum?: { dataPoints: Array<{ attributes: unknown[] }> }; gauge?: { dataPoints: unknown[] } }> }> }>;
    };
    const metrics = decoded.resourceMetrics[0].scopeMetrics[0].metrics;
    expect(metrics).toHaveLength(1000);
    expect(new Set(metrics.map((m) => m.name))).toEqual(new Set(REDUCER_METRIC_NAMES));
    expect(metrics.every((m) => (m.sum ?? m.gauge)?.dataPoints.length === 1)).toBe(true);
    expect(metrics.find((m) => m.name === 'tcp.packets')?.sum?.dataPoints[0].attributes).toHaveLength(17);
    expect(decoded.resourceMetrics[0].resource.attributes.map((a) => a.key)).toEqual(['k8s.cluster.name']);
    expect(f.slots).toHaveLength(1000);
  });

  test('protobuf and JSON forms decode to the same observations, one per watched slot', () => {
    const pb = plainResult(decoder.decodeProtobuf(f.protobuf));
    expect(plainResult(decoder.decodeJson(f.json))).toEqual(pb);
    const watched = f.slots.filter((s) => s.name === 'tcp.packets' || s.name === 'udp.packets');
    expect(pb.observations.map((o) => [o.protocol, o.source, o.dest])).toEqual(
      watched.map((s) => [s.name.slice(0, 3), `svc-${s.edge}`, `svc-${s.edge + 1}`]),
    );
    expect(pb.observations[0]).toMatchObject({ cluster: 'prod-eu', timeMs: FIXTURE_TIME_MS, sourceNamespace: 'ns-0', destNamespace: 'ns-0' });
    expect(pb.pointsTotal).toBe(watched.length);
  });

  test('deterministic; empty labels are omitted; time 0 leaves the time unset', () => {
    const opts = { cluster: '', edges: [{ src: 'a', dst: '', timeMs: 0 }], metricsPerRequest: 8 };
    expect(reducerRequest(opts).protobuf.equals(reducerRequest(opts).protobuf)).toBe(true);
    const r = decoder.decodeProtobuf(reducerRequest(opts).protobuf);
    expect(r.dropped).toEqual({ missing_dest: 1 });
    const ok = decoder.decodeProtobuf(reducerRequest({ ...opts, edges: [{ src: 'a', dst: 'b', timeMs: 0 }] }).protobuf);
    expect(ok.observations[0]).toMatchObject({ cluster: '', timeMs: 0 });
  });
});

describe('requests serialized by the OpenTelemetry JS exporter serializers', () => {
  const attrs = { 'source.workload.name': 'frontend', 'dest.workload.name': '(internet)', 'source.namespace.name': 'shop', port: 443, ok: true };
  const point = (value: number) => ({ startTime: [1764323970, 0] as [number, number], endTime: [1764324000, 123456789] as [number, number], attributes: attrs, value });
  const rm: ResourceMetrics = {
    resource: resourceFromAttributes({ 'k8s.cluster.name': 'prod-eu', 'service.name': 'reducer' }),
    scopeMetrics: [{
      scope: { name: 'ebpf-net' },
      metrics: [
        { descriptor: { name: 'tcp.bytes', description: '', unit: 'By', valueType: ValueType.INT }, aggregationTemporality: AggregationTemporality.DELTA, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints: [point(9)] },
        { descriptor: { name: 'tcp.packets', description: '', unit: '1', valueType: ValueType.INT }, aggregationTemporality: AggregationTemporality.DELTA, dataPointType: DataPointType.SUM, isMonotonic: true, dataPoints: [point(3)] },
        { descriptor: { name: 'udp.packets', description: '', unit: '1', valueType: ValueType.DOUBLE }, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints: [point(1.5)] },
      ],
    }],
  };
  const expected = (protocol: 'tcp' | 'udp') => ({
    cluster: 'prod-eu', protocol, source: 'frontend', dest: '(internet)', sourceNamespace: 'shop', destNamespace: '', timeMs: 1764324000123,
    attributes: { 'k8s.cluster.name': 'prod-eu', 'service.name': 'reducer', 'source.workload.name': 'frontend', 'dest.workload.name': '(internet)', 'source.namespace.name': 'shop', port: '443', ok: 'true' },
  });

  test('ProtobufMetricsSerializer', () => {
    const bytes = ProtobufMetricsSerializer.serializeRequest(rm);
    if (bytes === undefined) throw new Error('serializer returned nothing');
    expect(plainResult(decoder.decodeProtobuf(Buffer.from(bytes)))).toEqual({ observations: [expected('tcp'), expected('udp')], dropped: {}, pointsTotal: 2 });
  });

  test('JsonMetricsSerializer', () => {
    const bytes = JsonMetricsSerializer.serializeRequest(rm);
    if (bytes === undefined) throw new Error('serializer returned nothing');
    expect(plainResult(decoder.decodeJson(Buffer.from(bytes)))).toEqual({ observations: [expected('tcp'), expected('udp')], dropped: {}, pointsTotal: 2 });
  });
});
