/**
 * TrafficSamples (DecodeResult.samples) from both decoders: requests serialized by the
 * OpenTelemetry JS serializers and by the reducer-shaped fixture, plus hand-built wire bytes
 * for what a serializer never writes (flags, a missing value, oneof order, 64-bit ints).
 */
import { ValueType } from '@opentelemetry/api';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { ConfigError, DecodeError } from '../../../src/core/errors';
import type { DecodeResult } from '../../../src/core/observation';
import type { TrafficSample } from '../../../src/core/traffic';
import { OtlpDecoder } from '../../../src/decode/decoder';
import { DEFAULT_DECODER_OPTIONS, FIXTURE_TIME_MS, REDUCER_METRIC_NAMES, fixtureEdges, reducerRequest } from '../../helpers/otlp-fixtures';
import { plainResult } from './reference';
import * as w from './wire';

const TRAFFIC = [...REDUCER_METRIC_NAMES];
const off = new OtlpDecoder(DEFAULT_DECODER_OPTIONS);
const on = new OtlpDecoder({ ...DEFAULT_DECODER_OPTIONS, trafficMetrics: TRAFFIC });

/** Both encodings of one ResourceMetrics, by the OpenTelemetry JS serializers. */
function serialized(rm: ResourceMetrics): { protobuf: Buffer; json: Buffer } {
  const pb = ProtobufMetricsSerializer.serializeRequest(rm);
  const json = JsonMetricsSerializer.serializeRequest(rm);
  if (pb === undefined || json === undefined) throw new Error('serializer returned nothing');
  return { protobuf: Buffer.from(pb), json: Buffer.from(json) };
}

const END: [number, number] = [1764324000, 123456789];
const sumOf = (name: string, valueType: ValueType, value: number, attributes: Record<string, string | number>): MetricData => ({
  descriptor: { name, description: '', unit: '1', valueType },
  aggregationTemporality: AggregationTemporality.DELTA,
  dataPointType: DataPointType.SUM,
  isMonotonic: true,
  dataPoints: [{ startTime: [1764323970, 0], endTime: END, attributes, value }],
});
const gaugeOf = (name: string, value: number, attributes: Record<string, string | number>): MetricData => ({
  descriptor: { name, description: '', unit: 'ms', valueType: ValueType.DOUBLE },
  aggregationTemporality: AggregationTemporality.CUMULATIVE,
  dataPointType: DataPointType.GAUGE,
  dataPoints: [{ startTime: [1764323970, 0], endTime: END, attributes, value }],
});

const edgeAttrs = {
  'source.workload.name': 'frontend',
  'dest.workload.name': 'payments',
  'source.namespace.name': 'shop',
  'dest.namespace.name': 'pay',
  'source.process.name': 'node',
  'dest.process.name': 'java',
  port: 443,
};
const sample = (over: Partial<TrafficSample>): TrafficSample => ({
  cluster: 'prod-eu', metric: 'tcp.bytes', value: 0, timeMs: 1764324000123,
  source: 'frontend', dest: 'payments', sourceNamespace: 'shop', destNamespace: 'pay', sourceProcess: 'node', destProcess: 'java',
  ...over,
});

describe('samples from requests of the OpenTelemetry JS serializers', () => {
  const rm: ResourceMetrics = {
    resource: resourceFromAttributes({ 'k8s.cluster.name': 'prod-eu', 'service.name': 'reducer' }),
    scopeMetrics: [{
      scope: { name: 'ebpf-net' },
      metrics: [
        sumOf('tcp.bytes', ValueType.INT, 9, edgeAttrs),
        sumOf('tcp.packets', ValueType.INT, 3, edgeAttrs),
        gaugeOf('tcp.rtt.average', 1.625, { ...edgeAttrs, 'k8s.cluster.name': 'from-point' }),
        sumOf('udp.drops', ValueType.INT, 0, { 'source.workload.name': 'dns', 'dest.workload.name': '(internet)' }),
        sumOf('dns.queries', ValueType.INT, 4, edgeAttrs),
        sumOf('udp.bytes', ValueType.INT, 7, { 'dest.workload.name': 'payments' }),
      ],
    }],
  };
  const { protobuf, json } = serialized(rm);
  const expected: TrafficSample[] = [
    sample({ metric: 'tcp.bytes', value: 9 }),
    sample({ metric: 'tcp.packets', value: 3 }),
    sample({ metric: 'tcp.rtt.average', value: 1.625, cluster: 'from-point' }),
    sample({ metric: 'udp.drops', value: 0, source: 'dns', dest: '(internet)', sourceNamespace: '', destNamespace: '', sourceProcess: '', destProcess: '' }),
  ];

  test.each([
    ['protobuf', (d: OtlpDecoder): DecodeResult => d.decodeProtobuf(protobuf)],
    ['json', (d: OtlpDecoder): DecodeResult => d.decodeJson(json)],
  ])('%s: int and double values, cluster from point or resource, processes; no source → no sample, not a drop', (_kind, decode) => {
    const r = decode(on);
    expect(r.samples).toEqual(expected);
    // tcp.packets is in both lists: its one observation is there, and only it is counted.
    expect(r.observations.map((o) => [o.protocol, o.source, o.dest, o.cluster])).toEqual([['tcp', 'frontend', 'payments', 'prod-eu']]);
    expect(r.pointsTotal).toBe(1);
    expect(r.dropped).toEqual({});
    expect(plainResult(r)).toEqual(plainResult(decode(off)));
    expect(decode(off).samples).toBeUndefined();
  });
});

describe('samples from a reducer-shaped request (1000 Metrics, all 12 names)', () => {
  const f = reducerRequest({ cluster: 'prod-eu', edges: fixtureEdges(40, true) });

  test('one sample per Metric, each with its own edge and value, the same from protobuf and JSON', () => {
    const pb = on.decodeProtobuf(f.protobuf);
    expect(pb.samples).toHaveLength(1000);
    expect(on.decodeJson(f.json).samples).toEqual(pb.samples);
    const edges = fixtureEdges(40, true);
    // The fixture's values: int 1 + (i % 997), or a double 0.25 + (i % 100) / 8 for *.average.
    expect(pb.samples).toEqual(f.slots.map((s, i): TrafficSample => ({
      cluster: 'prod-eu', metric: s.name, value: s.name.endsWith('.average') ? 0.25 + (i % 100) / 8 : 1 + (i % 997), timeMs: FIXTURE_TIME_MS,
      source: edges[s.edge].src, dest: edges[s.edge].dst, sourceNamespace: edges[s.edge].ns ?? '', destNamespace: edges[s.edge].ns ?? '',
      sourceProcess: `${edges[s.edge].src}-proc`, destProcess: `${edges[s.edge].dst}-proc`,
    })));
  });

  test('observations, drops and counts are those of the decoder without traffic metrics', () => {
    expect(plainResult(on.decodeProtobuf(f.protobuf))).toEqual(plainResult(off.decodeProtobuf(f.protobuf)));
    expect(plainResult(on.decodeJson(f.json))).toEqual(plainResult(off.decodeJson(f.json)));
  });

  test('trafficMetrics [] yields no samples field at all', () => {
    expect(off.decodeProtobuf(f.protobuf)).not.toHaveProperty('samples');
    expect(off.decodeJson(f.json)).not.toHaveProperty('samples');
  });

  test('only the configured traffic metrics yield samples', () => {
    const d = new OtlpDecoder({ ...DEFAULT_DECODER_OPTIONS, trafficMetrics: ['tcp.bytes', 'udp.drops'] });
    const names = new Set(d.decodeProtobuf(f.protobuf).samples?.map((s) => s.metric));
    expect(names).toEqual(new Set(['tcp.bytes', 'udp.drops']));
    expect(d.decodeJson(f.json).samples).toEqual(d.decodeProtobuf(f.protobuf).samples);
  });
});

const simple = (name: string, data: Buffer, res: Buffer[] = []): Buffer => w.request(w.resourceMetrics(...res, w.scopeMetrics(w.metric(name, data))));
const asDouble = (x: number): Buffer => w.double(4, x);
const asInt = (n: bigint): Buffer => w.fixed64(6, n); // sfixed64: the same 8 bytes as its uint64
const flags = (n: number): Buffer => w.vint(8, n);

describe('decodeProtobuf: values and skipped points', () => {
  const values = (...points: Buffer[]): number[] | undefined => on.decodeProtobuf(simple('tcp.bytes', w.sum(...points))).samples?.map((s) => s.value);

  test('as_int of any int64, rounded to the nearest double beyond 2⁵³', () => {
    const big = [0n, -5n, 2n ** 53n + 1n, 2n ** 62n + 3n, -(2n ** 63n), 2n ** 63n - 1n, -(2n ** 53n) - 3n];
    expect(values(...big.map((n) => w.point(...w.edge('a', 'b'), asInt(n))))).toEqual(big.map((n) => Number(n)));
  });

  test('as_double, NaN and infinities included; the last value on the wire wins', () => {
    expect(values(w.point(...w.edge('a', 'b'), asDouble(-0.5)), w.point(...w.edge('a', 'b'), asDouble(Infinity)))).toEqual([-0.5, Infinity]);
    expect(values(w.point(...w.edge('a', 'b'), asDouble(NaN)))).toEqual([NaN]);
    expect(values(w.point(asInt(7n), ...w.edge('a', 'b'), asDouble(2.5)), w.point(asDouble(2.5), ...w.edge('a', 'b'), asInt(7n)))).toEqual([2.5, 7]);
  });

  test('no sample for NO_RECORDED_VALUE, no value, or no / empty source or dest; none of that is a drop', () => {
    const pts = [
      w.point(...w.edge('a', 'b'), asInt(1n), flags(1)),
      w.point(...w.edge('a', 'b')),
      w.point(w.kv('dest.workload.name', 'b'), asInt(1n)),
      w.point(w.kv('source.workload.name', ''), w.kv('dest.workload.name', 'b'), asInt(1n)),
      w.point(w.kv('source.workload.name', 'a'), asInt(1n)),
      w.point(...w.edge('a', 'b'), asInt(2n), flags(2)), // other flag bits do not matter
    ];
    const r = on.decodeProtobuf(simple('tcp.bytes', w.sum(...pts)));
    expect(r.samples?.map((s) => s.value)).toEqual([2]);
    expect(r).toMatchObject({ observations: [], dropped: {}, pointsTotal: 0 });
    // The same points of a metric in both lists: drops are counted as without samples.
    const both = on.decodeProtobuf(simple('tcp.packets', w.sum(...pts)));
    expect(both.samples?.map((s) => s.value)).toEqual([2]);
    expect(plainResult(both)).toEqual(plainResult(off.decodeProtobuf(simple('tcp.packets', w.sum(...pts)))));
    expect(both.dropped).toEqual({ no_value: 1, missing_source: 2, missing_dest: 1 });
  });

  test('attribute texts are not carried over between points (the per-key text reuse)', () => {
    const p1 = w.point(...w.edge('aa', 'bb', 'n1', 'n2'), w.kv('source.process.name', 'p'), asInt(1n));
    const p2 = w.point(...w.edge('aa', 'cc'), w.kv('dest.process.name', 'q'), w.kv('k8s.cluster.name', 'c'), asInt(2n));
    const p3 = w.point(...w.edge('bb', 'aa', 'n1'), w.kv('source.process.name', 'p'), asInt(3n));
    const r = on.decodeProtobuf(simple('tcp.bytes', w.gauge(p1, p2, p3), [w.resource(w.resourceAttr('k8s.cluster.name', 'r'))]));
    expect(r.samples?.map((s) => [s.cluster, s.source, s.dest, s.sourceNamespace, s.destNamespace, s.sourceProcess, s.destProcess])).toEqual([
      ['r', 'aa', 'bb', 'n1', 'n2', 'p', ''],
      ['c', 'aa', 'cc', '', '', '', 'q'],
      ['r', 'bb', 'aa', 'n1', '', 'p', ''],
    ]);
  });

  test('a repeated attribute block is reused only when the bytes repeat exactly (AttributeRun)', () => {
    const block = [...w.edge('aa', 'bb', 'n1', 'n2'), w.kv('source.process.name', 'p')];
    const pts = [
      w.point(...block, asInt(1n)),
      w.point(...block, asInt(2n)), // the same block: reused
      w.point(...block, w.kv('dest.process.name', 'q'), asInt(3n)), // the block plus one more attribute
      w.point(...block, asInt(4n), w.kv('source.workload.name', 'zz')), // then a later attribute overrides
      w.point(...w.edge('aa', 'cc', 'n1', 'n2'), w.kv('source.process.name', 'p'), asInt(5n)), // same length, other bytes
      w.point(...w.edge('aa', 'cc', 'n1', 'n2'), w.kv('source.process.name', 'p'), asInt(6n)),
      w.point(w.kv('source.workload.name', 'aa'), asInt(7n), w.kv('dest.workload.name', 'bb')), // not contiguous
      w.point(w.kv('source.workload.name', 'aa'), asInt(8n), w.kv('dest.workload.name', 'cc')),
    ];
    const r = on.decodeProtobuf(simple('tcp.bytes', w.gauge(...pts)));
    expect(r.samples?.map((s) => [s.value, s.source, s.dest, s.sourceNamespace, s.destNamespace, s.sourceProcess, s.destProcess])).toEqual([
      [1, 'aa', 'bb', 'n1', 'n2', 'p', ''],
      [2, 'aa', 'bb', 'n1', 'n2', 'p', ''],
      [3, 'aa', 'bb', 'n1', 'n2', 'p', 'q'],
      [4, 'zz', 'bb', 'n1', 'n2', 'p', ''],
      [5, 'aa', 'cc', 'n1', 'n2', 'p', ''],
      [6, 'aa', 'cc', 'n1', 'n2', 'p', ''],
      [7, 'aa', 'bb', '', '', '', ''],
      [8, 'aa', 'cc', '', '', '', ''],
    ]);
  });

  test('a non-traffic unwatched metric is still skipped undecoded; a traffic one is decoded and checked', () => {
    const garbage = w.len(7, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x07]));
    expect(on.decodeProtobuf(simple('dns.queries', garbage))).toEqual({ observations: [], dropped: {}, pointsTotal: 0, samples: [] });
    expect(off.decodeProtobuf(simple('tcp.bytes', garbage))).toEqual({ observations: [], dropped: {}, pointsTotal: 0 });
    expect(() => on.decodeProtobuf(simple('tcp.bytes', garbage))).toThrow(DecodeError);
    expect(() => on.decodeProtobuf(simple('tcp.bytes', w.sum(w.point(...w.edge('a', 'b'), w.vint(6, 1)))))).toThrow(/field 6 of NumberDataPoint has wire type varint/);
  });
});

describe('decodeJson: values and skipped points', () => {
  const body = (...dataPoints: unknown[]): string => JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'udp.bytes', gauge: { dataPoints } }] }] }] });
  const attributes = [{ key: 'source.workload.name', value: { stringValue: 'a' } }, { key: 'dest.workload.name', value: { stringValue: 'b' } }];
  const values = (...points: object[]): number[] | undefined => on.decodeJson(body(...points.map((p) => ({ attributes, ...p })))).samples?.map((s) => s.value);

  test('asInt as a decimal string or a number, snake_case too; asDouble as a number or a proto3 JSON string', () => {
    expect(values({ asInt: '9223372036854775807' }, { asInt: '-9223372036854775808' }, { asInt: 12 }, { as_int: '9007199254740993' })).toEqual([
      Number(2n ** 63n - 1n), -(2 ** 63), 12, Number(9007199254740993n),
    ]);
    expect(values({ asDouble: 0.5 }, { as_double: 'Infinity' }, { asDouble: '-2.5' }, { asDouble: 'NaN' })).toEqual([0.5, Infinity, -2.5, NaN]);
  });

  test('no sample for NO_RECORDED_VALUE, no value, or no source; bad values are DecodeErrors', () => {
    expect(values({ asInt: '1', flags: 1 }, {}, { asInt: null }, { asInt: '4', attributes: attributes.slice(1) }, { asInt: '5' })).toEqual([5]);
    expect(() => values({ asInt: '1', asDouble: 1 })).toThrow(/both asDouble and asInt/);
    expect(() => values({ asInt: '9223372036854775808' })).toThrow(/not an int64/);
    expect(() => values({ asInt: 1.5 })).toThrow(DecodeError);
    expect(() => values({ asDouble: 'lots' })).toThrow(/asDouble must be a number/);
  });

  test('an unwatched non-traffic metric is skipped without looking at its points', () => {
    const text = JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'dns.queries', gauge: { dataPoints: 'not a list' } }] }] }] });
    expect(on.decodeJson(text)).toEqual({ observations: [], dropped: {}, pointsTotal: 0, samples: [] });
  });
});

describe('options', () => {
  const p = w.point(w.kv('s', 'S'), w.kv('d', 'D'), w.kv('sp', 'SP'), w.kv('dp', 'DP'), w.kv('source.process.name', 'default'), asInt(1n));
  const opts = { ...DEFAULT_DECODER_OPTIONS, sourceAttr: 's', destAttr: 'd', trafficMetrics: ['udp.bytes'] };

  test('configured process attribute keys are used, the defaults otherwise', () => {
    const bytes = simple('udp.bytes', w.gauge(p));
    expect(new OtlpDecoder({ ...opts, sourceProcessAttr: 'sp', destProcessAttr: 'dp' }).decodeProtobuf(bytes).samples?.map((s) => [s.sourceProcess, s.destProcess])).toEqual([['SP', 'DP']]);
    expect(new OtlpDecoder(opts).decodeProtobuf(bytes).samples?.map((s) => [s.sourceProcess, s.destProcess])).toEqual([['default', '']]);
  });

  test('a traffic metric name whose protocol is not tcp or udp is a ConfigError naming traffic_metrics', () => {
    expect(() => new OtlpDecoder({ ...DEFAULT_DECODER_OPTIONS, trafficMetrics: ['tcp.bytes', 'dns.queries'] })).toThrow(ConfigError);
    expect(() => new OtlpDecoder({ ...DEFAULT_DECODER_OPTIONS, trafficMetrics: ['dns.queries'] })).toThrow(/"traffic_metrics".*dns\.queries/);
  });
});
