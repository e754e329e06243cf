import { ConfigError, DecodeError } from '../../../src/core/errors';
import type { DecodeResult, Observation } from '../../../src/core/observation';
import { OtlpDecoder } from '../../../src/decode/decoder';
import { DEFAULT_DECODER_OPTIONS } from '../../helpers/otlp-fixtures';
import * as w from './wire';

const decoder = new OtlpDecoder(DEFAULT_DECODER_OPTIONS);
const T = 1764324000000n * 1000000n; // 2025-11-28T10:00:00Z in ns

const edgeOf = (o: Observation) => ({ cluster: o.cluster, protocol: o.protocol, source: o.source, dest: o.dest, srcNs: o.sourceNamespace, dstNs: o.destNamespace, timeMs: o.timeMs });

function one(bytes: Buffer): Observation {
  const r = decoder.decodeProtobuf(bytes);
  expect(r.observations).toHaveLength(1);
  return r.observations[0];
}

const simple = (name: string, data: Buffer, res: Buffer[] = []): Buffer =>
  w.request(w.resourceMetrics(...res, w.scopeMetrics(w.metric(name, data))));

describe('decodeProtobuf: selection and fields', () => {
  test('a watched Sum point becomes an observation; protocol from the name', () => {
    const p = w.point(w.timeNs(T), ...w.edge('frontend', 'payments', 'shop', 'pay'));
    const r = decoder.decodeProtobuf(w.request(w.resourceMetrics(w.resource(w.resourceAttr('k8s.cluster.name', 'prod-eu')), w.scopeMetrics(w.metric('tcp.packets', w.sum(p)), w.metric('udp.packets', w.gauge(p))))));
    expect(r.observations.map(edgeOf)).toEqual([
      { cluster: 'prod-eu', protocol: 'tcp', source: 'frontend', dest: 'payments', srcNs: 'shop', dstNs: 'pay', timeMs: 1764324000000 },
      { cluster: 'prod-eu', protocol: 'udp', source: 'frontend', dest: 'payments', srcNs: 'shop', dstNs: 'pay', timeMs: 1764324000000 },
    ]);
    expect(r.pointsTotal).toBe(2);
    expect(r.dropped).toEqual({});
  });

  test('the name may follow the data', () => {
    const o = one(w.request(w.resourceMetrics(w.scopeMetrics(w.metricNameLast('tcp.packets', w.sum(w.point(...w.edge('a', 'b'))))))));
    expect(edgeOf(o)).toMatchObject({ source: 'a', dest: 'b', protocol: 'tcp', cluster: '', srcNs: '', dstNs: '', timeMs: 0 });
  });

  test('the resource may follow the scope metrics', () => {
    const r = w.request(w.resourceMetrics(w.scopeMetrics(w.metric('tcp.packets', w.sum(w.point(...w.edge('a', 'b'))))), w.resource(w.resourceAttr('k8s.cluster.name', 'late'))));
    expect(one(r).cluster).toBe('late');
  });

  test('unwatched metrics, histograms and summaries of watched names are skipped and not counted', () => {
    const p = w.point(...w.edge('a', 'b'));
    const histogram = w.len(9, w.len(1, w.kv('source.workload.name', 'x')));
    const r = decoder.decodeProtobuf(w.request(w.resourceMetrics(w.scopeMetrics(
      w.metric('tcp.bytes', w.sum(p, p)),
      w.metric('tcp.packets', histogram),
      w.metric('udp.packets', w.len(11, w.len(1))),
      w.metric('tcp.packetsX', w.sum(p)),
      w.metric('tcp.packets', w.sum(p, p, p)),
    ))));
    expect(r.observations).toHaveLength(3);
    expect(r.pointsTotal).toBe(3);
  });

  test('the points of an unwatched metric are not decoded (garbage inside is never read)', () => {
    const garbage = w.len(7, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x07]));
    const r = decoder.decodeProtobuf(simple('tcp.bytes', garbage));
    expect(r).toEqual({ observations: [], dropped: {}, pointsTotal: 0 });
  });

  test('a later data oneof member replaces an earlier one', () => {
    const p = w.point(...w.edge('a', 'b'));
    expect(decoder.decodeProtobuf(w.request(w.resourceMetrics(w.scopeMetrics(w.metric('tcp.packets', w.sum(p), w.len(9)))))).pointsTotal).toBe(0);
    expect(decoder.decodeProtobuf(w.request(w.resourceMetrics(w.scopeMetrics(w.metric('tcp.packets', w.len(9), w.gauge(p)))))).pointsTotal).toBe(1);
  });

  test('configured metric names and attribute keys are used', () => {
    const d = new OtlpDecoder({ metrics: ['udp.bytes'], clusterAttr: 'c', sourceAttr: 's', destAttr: 'd', sourceNamespaceAttr: 'sn', destNamespaceAttr: 'dn', trafficMetrics: [] });
    const p = w.point(w.kv('s', 'S'), w.kv('d', 'D'), w.kv('sn', 'SN'), w.kv('dn', 'DN'), w.kv('c', 'C'));
    const r = d.decodeProtobuf(w.request(w.resourceMetrics(w.scopeMetrics(w.metric('udp.bytes', w.gauge(p)), w.metric('tcp.packets', w.sum(p))))));
    expect(r.observations.map(edgeOf)).toEqual([{ cluster: 'C', protocol: 'udp', source: 'S', dest: 'D', srcNs: 'SN', dstNs: 'DN', timeMs: 0 }]);
  });

  test('a metric name whose protocol is not tcp or udp is a ConfigError', () => {
    expect(() => new OtlpDecoder({ ...DEFAULT_DECODER_OPTIONS, metrics: ['dns.packets'] })).toThrow(ConfigError);
  });

  test('a Uint8Array (not a Buffer) and an empty request are accepted', () => {
    const bytes = simple('tcp.packets', w.sum(w.point(...w.edge('a', 'b'))));
    expect(decoder.decodeProtobuf(new Uint8Array(bytes) as Buffer).observations).toHaveLength(1);
    expect(decoder.decodeProtobuf(Buffer.alloc(0))).toEqual({ observations: [], dropped: {}, pointsTotal: 0 });
  });
});

describe('decodeProtobuf: cluster, drops, time', () => {
  const res = [w.resource(w.resourceAttr('k8s.cluster.name', 'from-resource'))];
  test('cluster: data point first, else resource, else empty', () => {
    expect(one(simple('tcp.packets', w.sum(w.point(...w.edge('a', 'b'), w.kv('k8s.cluster.name', 'from-point'))), res)).cluster).toBe('from-point');
    expect(one(simple('tcp.packets', w.sum(w.point(...w.edge('a', 'b'))), res)).cluster).toBe('from-resource');
    expect(one(simple('tcp.packets', w.sum(w.point(...w.edge('a', 'b'))))).cluster).toBe('');
  });

  test('missing or empty source / dest are dropped, source checked first; no_value first of all', () => {
    const pts = [
      w.point(w.kv('dest.workload.name', 'b')),
      w.point(w.kv('source.workload.name', ''), w.kv('dest.workload.name', 'b')),
      w.point(w.kv('source.workload.name', 'a')),
      w.point(),
      w.point(...w.edge('a', 'b'), w.vint(8, 1)),
      w.point(w.vint(8, 3)),
      w.point(...w.edge('a', 'b'), w.vint(8, 2)),
    ];
    const r: DecodeResult = decoder.decodeProtobuf(simple('tcp.packets', w.sum(...pts)));
    expect(r.dropped).toEqual({ missing_source: 3, missing_dest: 1, no_value: 2 });
    expect(r.pointsTotal).toBe(7);
    expect(r.observations).toHaveLength(1);
  });

  test('duplicate attribute keys: the last one wins', () => {
    const o = one(simple('tcp.packets', w.sum(w.point(...w.edge('a', 'b'), w.kv('source.workload.name', 'a2')))));
    expect(o.source).toBe('a2');
    expect(o.attributes()['source.workload.name']).toBe('a2');
  });

  test('time_unix_nano → ms, floored and exact over the whole uint64 range', () => {
    const at = (ns: bigint) => one(simple('tcp.packets', w.sum(w.point(w.timeNs(ns), ...w.edge('a', 'b'))))).timeMs;
    expect(at(T)).toBe(1764324000000);
    expect(at(T + 999999n)).toBe(1764324000000);
    expect(at(T - 1n)).toBe(1764323999999);
    expect(at(2n ** 64n - 1n)).toBe(18446744073709);
    expect(at(4294967296n * 1000000n)).toBe(4294967296);
    expect(at(0n)).toBe(0);
  });

  test('non-string workload values are stringified', () => {
    const o = one(simple('tcp.packets', w.sum(w.point(w.kv('source.workload.name', w.vint(3, -42)), w.kv('dest.workload.name', w.vint(2, 1))))));
    expect([o.source, o.dest]).toEqual(['-42', 'true']);
  });
});

describe('decodeProtobuf: lazy attributes()', () => {
  test('merges resource under point attributes and stringifies every AnyValue kind', () => {
    const nested = w.len(5, w.len(1, w.anyString('x')), w.len(1, w.vint(3, 7)), w.len(1, w.double(4, NaN)), w.len(1), w.len(1, w.len(6, w.len(1, w.keyValue('k', w.vint(2, 0))))));
    const p = w.point(
      ...w.edge('a', 'b'),
      w.kv('k8s.cluster.name', 'pc'),
      w.kv('bool', w.vint(2, 1)),
      w.kv('int', w.vint(3, -(2n ** 63n))),
      w.kv('double', w.double(4, 1.5)),
      w.kv('bytes', w.len(7, Buffer.from([1, 2, 3, 250]))),
      w.kv('array', nested),
      w.kv('kvlist', w.len(6, w.len(1, w.keyValue('q"k', 'v')), w.len(1, w.str(1, 'novalue')))),
      w.kv('empty', Buffer.alloc(0)),
      w.len(7, w.str(1, 'no-value-field')),
      w.kv('__proto__', 'p'),
    );
    const res = w.resource(w.resourceAttr('k8s.cluster.name', 'rc'), w.resourceAttr('res.only', 'r'));
    const o = one(simple('tcp.packets', w.sum(p), [res]));
    expect(o.attributes()).toEqual(Object.fromEntries([
      ['k8s.cluster.name', 'pc'], ['res.only', 'r'], ['source.workload.name', 'a'], ['dest.workload.name', 'b'],
      ['bool', 'true'], ['int', '-9223372036854775808'], ['double', '1.5'], ['bytes', 'AQID+g=='],
      ['array', '["x",7,"NaN",null,{"k":false}]'], ['kvlist', '{"q\\"k":"v","novalue":null}'],
      ['empty', ''], ['no-value-field', ''], ['__proto__', 'p'],
    ]));
    expect(Object.getPrototypeOf(o.attributes())).toBe(Object.prototype);
  });

  test('observations carry no buffer in their own properties', () => {
    const o = one(simple('tcp.packets', w.sum(w.point(...w.edge('a', 'b')))));
    expect(JSON.stringify(o)).toBe('{"cluster":"","protocol":"tcp","source":"a","dest":"b","sourceNamespace":"","destNamespace":"","timeMs":0}');
  });

  test('a malformed value outside the keys in use is left out, not thrown', () => {
    const o = one(simple('tcp.packets', w.sum(w.point(...w.edge('a', 'b'), w.kv('bad', Buffer.from([0x0a, 0x05, 0x41]))))));
    expect(o.attributes()).toEqual({ 'source.workload.name': 'a', 'dest.workload.name': 'b' });
  });
});

describe('decodeProtobuf: unknown fields and malformed input', () => {
  const unknowns = [w.vint(99, 2n ** 64n - 1n), w.fixed64(100, 1n), w.str(101, 'x'), w.fixed32(102, 7), w.len(536870911, w.vint(1, 1)), w.len(2047, w.vint(1, 1))];
  test('unknown fields of every wire type are skipped at every level', () => {
    const p = w.point(...unknowns, ...w.edge('a', 'b'), ...unknowns);
    const m = w.len(2, ...unknowns, w.len(4), w.vint(6, 1), w.str(1, 'tcp.packets'), w.len(7, ...unknowns, w.len(1, p)), ...unknowns);
    const res = w.len(1, ...unknowns, w.len(1, w.str(1, 'k8s.cluster.name'), ...unknowns, w.len(2, ...unknowns.slice(0, 4), w.anyString('c'))));
    const bytes = w.msg(...unknowns, w.len(1, ...unknowns, res, w.len(2, ...unknowns, m), ...unknowns, w.len(1000, w.vint(1, 1))), ...unknowns);
    expect(edgeOf(one(bytes))).toMatchObject({ source: 'a', dest: 'b', cluster: 'c' });
  });

  const good = simple('tcp.packets', w.sum(w.point(w.timeNs(T), ...w.edge('a', 'b'))));
  const bad: Array<[string, Buffer, RegExp]> = [
    ['truncated message', good.subarray(0, good.length - 3), /past the end|truncated/],
    ['truncated varint', Buffer.from([0x0a, 0x80]), /truncated varint/],
    ['11-byte varint', Buffer.from([0x10, ...Array<number>(10).fill(0xff), 0x01]), /longer than 10 bytes/],
    ['length past end', Buffer.from([0x0a, 0x05, 0x00]), /length 5 runs past/],
    ['length over 32 bits', Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x10]), /exceeds 32 bits/],
    ['field number 0', Buffer.from([0x02, 0x00]), /field number 0/],
    ['start group', w.tag(5, 3), /start-group/],
    ['end group', w.tag(5, 4), /end-group/],
    ['wire type 6', w.tag(5, 6), /wire type invalid/],
    ['wrong wire type: resource_metrics', w.vint(1, 1), /field 1 of ExportMetricsServiceRequest has wire type varint, expected length-delimited/],
    ['wrong wire type: time', simple('tcp.packets', w.sum(w.point(w.vint(3, 1)))), /field 3 of NumberDataPoint/],
    ['wrong wire type: flags', simple('tcp.packets', w.sum(w.point(w.fixed64(8, 1n)))), /field 8 of NumberDataPoint/],
    ['wrong wire type: metric name', w.request(w.resourceMetrics(w.scopeMetrics(w.len(2, w.vint(1, 3))))), /field 1 of Metric/],
    ['wrong wire type: key', simple('tcp.packets', w.sum(w.point(w.len(7, w.vint(1, 1))))), /field 1 of KeyValue/],
    ['truncated fixed64', simple('tcp.packets', w.sum(w.point(w.tag(3, 1), Buffer.from([1, 2])))), /truncated fixed64/],
    ['malformed value of a key in use', simple('tcp.packets', w.sum(w.point(w.kv('source.workload.name', Buffer.from([0x10])), w.kv('dest.workload.name', 'b')))), /truncated varint/],
    ['malformed resource cluster', simple('tcp.packets', w.sum(), [w.resource(w.len(1, w.str(1, 'k8s.cluster.name'), w.len(2, w.tag(4, 1))))]), /truncated double/],
  ];
  test.each(bad)('%s → DecodeError', (_name, bytes, message) => {
    let err: unknown;
    try {
      decoder.decodeProtobuf(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).code).toBe('INVALID_ARGUMENT');
    expect((err as Error).message).toMatch(message);
  });
});
