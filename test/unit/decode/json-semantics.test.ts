import { DecodeError } from '../../../src/core/errors';
import type { Observation } from '../../../src/core/observation';
import { OtlpDecoder } from '../../../src/decode/decoder';
import { DEFAULT_DECODER_OPTIONS, type OtlpKeyValue, type OtlpMetric, type OtlpNumberDataPoint } from '../../helpers/otlp-fixtures';

const decoder = new OtlpDecoder(DEFAULT_DECODER_OPTIONS);

const s = (key: string, v: string): OtlpKeyValue => ({ key, value: { stringValue: v } });
const edge = (src: string, dst: string): OtlpKeyValue[] => [s('source.workload.name', src), s('dest.workload.name', dst)];
const body = (metrics: unknown[], resourceAttrs: OtlpKeyValue[] = []) =>
  JSON.stringify({ resourceMetrics: [{ resource: { attributes: resourceAttrs }, scopeMetrics: [{ metrics }] }] });
const sumOf = (name: string, ...dataPoints: OtlpNumberDataPoint[]): OtlpMetric => ({ name, sum: { dataPoints, aggregationTemporality: 1, isMonotonic: true } });
const plain = (o: Observation) => ({ ...o, attributes: o.attributes() });

describe('decodeJson', () => {
  test('a watched point becomes an observation; cluster from point, else resource', () => {
    const r = decoder.decodeJson(body([
      sumOf('tcp.packets', { attributes: edge('a', 'b'), timeUnixNano: '1764324000123456789' }),
      { name: 'udp.packets', gauge: { dataPoints: [{ attributes: [...edge('c', 'd'), s('k8s.cluster.name', 'pc'), s('source.namespace.name', 'ns')] }] } },
      sumOf('tcp.bytes', { attributes: edge('x', 'y') }),
    ], [s('k8s.cluster.name', 'rc')]));
    expect(r.observations.map(plain)).toEqual([
      { cluster: 'rc', protocol: 'tcp', source: 'a', dest: 'b', sourceNamespace: '', destNamespace: '', timeMs: 1764324000123, attributes: { 'k8s.cluster.name': 'rc', ...Object.fromEntries(edge('a', 'b').map((kv) => [kv.key, kv.value?.stringValue])) } },
      { cluster: 'pc', protocol: 'udp', source: 'c', dest: 'd', sourceNamespace: 'ns', destNamespace: '', timeMs: 0, attributes: { 'k8s.cluster.name': 'pc', 'source.workload.name': 'c', 'dest.workload.name': 'd', 'source.namespace.name': 'ns' } },
    ]);
    expect(r.pointsTotal).toBe(2);
  });

  test('64-bit ints as strings or numbers, snake_case keys, unknown fields, Buffer input', () => {
    const text = JSON.stringify({
      resource_metrics: [{
        schema_url: 'x', unknownTop: { deep: [1] },
        scope_metrics: [{ metrics: [{ name: 'tcp.packets', sum: { data_points: [
          { attributes: [...edge('a', 'b'), { key: 'n', value: { int_value: 5 } }, { key: 'big', value: { intValue: '-9223372036854775808' } }], time_unix_nano: 1764324000000000000, flags: 0, as_int: 3, mystery: true },
          { attributes: edge('a', 'b'), timeUnixNano: '1764324000000000000', flags: '0' },
        ] } }] }],
      }],
    });
    const r = decoder.decodeJson(Buffer.from(`\ufeff${text}`, 'utf8'));
    expect(r.observations.map((o) => o.timeMs)).toEqual([1764324000000, 1764324000000]);
    expect(r.observations[0].attributes()).toMatchObject({ n: '5', big: '-9223372036854775808' });
  });

  test('drops: no_value first, then missing source, then missing dest', () => {
    const r = decoder.decodeJson(body([sumOf('tcp.packets',
      { attributes: [s('dest.workload.name', 'b')] },
      { attributes: [s('source.workload.name', 'a')] },
      { attributes: [] },
      { attributes: edge('a', 'b'), flags: 1 },
      { attributes: edge('a', 'b'), flags: 2 },
    )]));
    expect(r.dropped).toEqual({ missing_source: 2, missing_dest: 1, no_value: 1 });
    expect(r.observations).toHaveLength(1);
    expect(r.pointsTotal).toBe(5);
  });

  test('histograms of watched names are ignored; every AnyValue kind is stringified', () => {
    const values = [
      { key: 'b', value: { boolValue: false } },
      { key: 'd', value: { doubleValue: 'NaN' } },
      { key: 'd2', value: { doubleValue: 2.5 } },
      { key: 'by', value: { bytesValue: 'AQID-g' } },
      { key: 'arr', value: { arrayValue: { values: [{ stringValue: 's' }, { intValue: '7' }, { doubleValue: 'Infinity' }, {}] } } },
      { key: 'kvl', value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: true } }, { key: 'e' }] } } },
      { key: 'none' },
    ];
    const r = decoder.decodeJson(body([
      { name: 'tcp.packets', histogram: { dataPoints: [{ attributes: edge('h', 'h') }] } },
      sumOf('tcp.packets', { attributes: [...edge('a', 'b'), ...values] }),
    ]));
    expect(r.pointsTotal).toBe(1);
    expect(r.observations[0].attributes()).toEqual({
      'source.workload.name': 'a', 'dest.workload.name': 'b', b: 'false', d: 'NaN', d2: '2.5', by: 'AQID+g==',
      arr: '["s",7,"Infinity",null]', kvl: '{"k":true,"e":null}', none: '',
    });
  });

  const bad: Array<[string, string, RegExp]> = [
    ['invalid JSON', '{"resourceMetrics": [', /invalid OTLP\/JSON/],
    ['not an object', '[]', /ExportMetricsServiceRequest must be an object, got array/],
    ['null body', 'null', /must be an object/],
    ['resourceMetrics not an array', '{"resourceMetrics": {}}', /resourceMetrics must be an array, got object/],
    ['metric not an object', body([5]), /Metric must be an object, got number/],
    ['name not a string', body([{ name: 7 }]), /Metric.name must be a string/],
    ['two data kinds', body([{ name: 'tcp.packets', sum: { dataPoints: [] }, gauge: { dataPoints: [] } }]), /has both gauge and sum/],
    ['dataPoints not an array', body([{ name: 'tcp.packets', sum: { dataPoints: 'x' } }]), /sum.dataPoints must be an array/],
    ['attribute not an object', body([sumOf('tcp.packets', { attributes: ['x' as unknown as OtlpKeyValue] })]), /KeyValue must be an object/],
    ['key not a string', body([sumOf('tcp.packets', { attributes: [{ key: 1 } as unknown as OtlpKeyValue] })]), /KeyValue.key must be a string/],
    ['bad time', body([sumOf('tcp.packets', { timeUnixNano: '12x' })]), /timeUnixNano must be an integer/],
    ['time over 64 bits', body([sumOf('tcp.packets', { timeUnixNano: '18446744073709551616' })]), /exceeds 64 bits/],
    ['negative flags', body([sumOf('tcp.packets', { flags: -1 })]), /not a uint32/],
    ['bad value of a key in use', body([sumOf('tcp.packets', { attributes: [{ key: 'source.workload.name', value: { stringValue: 5 } } as unknown as OtlpKeyValue] })]), /stringValue must be a string/],
    ['int out of range', body([sumOf('tcp.packets', { attributes: [{ key: 'source.workload.name', value: { intValue: '9223372036854775808' } }] })]), /not an int64/],
    ['bad resource', JSON.stringify({ resourceMetrics: [{ resource: [] }] }), /resource must be an object/],
  ];
  test.each(bad)('%s → DecodeError', (_name, text, message) => {
    let err: unknown;
    try {
      decoder.decodeJson(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as Error).message).toMatch(message);
  });

  test('a malformed value outside the keys in use is left out of attributes(), not thrown', () => {
    const r = decoder.decodeJson(body([sumOf('tcp.packets', { attributes: [...edge('a', 'b'), { key: 'x', value: { boolValue: 'yes' } } as unknown as OtlpKeyValue] })]));
    expect(r.observations[0].attributes()).toEqual({ 'source.workload.name': 'a', 'dest.workload.name': 'b' });
  });
});
