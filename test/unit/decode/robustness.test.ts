import fc from 'fast-check';
import { DecodeError } from '../../../src/core/errors';
import type { DecodeResult } from '../../../src/core/observation';
import { OtlpDecoder } from '../../../src/decode/decoder';
import { DEFAULT_DECODER_OPTIONS, reducerRequest, requestType } from '../../helpers/otlp-fixtures';
import { requestArb } from './arbitraries';
import { rng, shuffleEncode } from './shuffle-encoder';
import * as w from './wire';

const decoder = new OtlpDecoder(DEFAULT_DECODER_OPTIONS);
const T = requestType();

/** Decoding returns or throws DecodeError, and the lazy attributes() of what it returns never throw. */
function expectDecodeErrorOrResult(decode: () => DecodeResult): void {
  let result: DecodeResult | undefined;
  try {
    result = decode();
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    return;
  }
  for (const o of result.observations) expect(typeof o.attributes()).toBe('object');
}

type Mutation = { kind: 'flip' | 'set' | 'insert' | 'delete'; at: number; byte: number };
const mutation = fc.record({ kind: fc.constantFrom('flip', 'set', 'insert', 'delete'), at: fc.nat(), byte: fc.nat({ max: 255 }) }) as fc.Arbitrary<Mutation>;

function mutate(bytes: Buffer, ms: Mutation[]): Buffer {
  const b = [...bytes];
  for (const m of ms) {
    const i = b.length === 0 ? 0 : m.at % b.length;
    if (m.kind === 'flip' && b.length > 0) b[i] ^= 1 << m.byte % 8;
    else if (m.kind === 'set' && b.length > 0) b[i] = m.byte;
    else if (m.kind === 'insert') b.splice(i, 0, m.byte);
    else b.splice(i, 1);
  }
  return Buffer.from(b);
}

const validBytes = fc.tuple(requestArb, fc.integer()).map(([req, seed]) => Buffer.from(shuffleEncode(T, req, rng(seed))));

describe('malformed input: DecodeError or a result, never another exception or a hang', () => {
  test('protobuf: random byte mutations of valid requests', () => {
    fc.assert(
      fc.property(validBytes, fc.array(mutation, { minLength: 1, maxLength: 4 }), (bytes, ms) => {
        expectDecodeErrorOrResult(() => decoder.decodeProtobuf(mutate(bytes, ms)));
      }),
      { numRuns: 600 },
    );
  });

  test('protobuf: every truncation of a small reducer request', () => {
    const bytes = reducerRequest({ edges: [{ src: 'a', dst: 'b' }], metricsPerRequest: 3 }).protobuf;
    for (let n = 0; n < bytes.length; n++) expectDecodeErrorOrResult(() => decoder.decodeProtobuf(bytes.subarray(0, n)));
    expect(() => decoder.decodeProtobuf(bytes.subarray(0, bytes.length - 1))).toThrow(DecodeError);
  });

  test('protobuf: random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => expectDecodeErrorOrResult(() => decoder.decodeProtobuf(Buffer.from(bytes)))),
      { numRuns: 300 },
    );
  });

  test('protobuf: deeply nested AnyValue is rejected (key in use) or left out (lazy), not a stack overflow', () => {
    let v = w.anyString('x');
    for (let i = 0; i < 5000; i++) v = w.len(5, w.len(1, v)); // AnyValue{arrayValue{values: [v]}}
    const req = (...p: Buffer[]) => w.request(w.resourceMetrics(w.scopeMetrics(w.metric('tcp.packets', w.sum(w.point(...p))))));
    expect(() => decoder.decodeProtobuf(req(w.kv('source.workload.name', v), w.kv('dest.workload.name', 'b')))).toThrow(/nested deeper/);
    const [o] = decoder.decodeProtobuf(req(...w.edge('a', 'b'), w.kv('deep', v))).observations;
    expect(o.attributes()).toEqual({ 'source.workload.name': 'a', 'dest.workload.name': 'b' });
  });

  test('JSON: deep nesting is rejected (key in use) or left out (lazy), not a stack overflow', () => {
    const deep = `${'{"arrayValue":{"values":['.repeat(5000)}{"stringValue":"x"}${']}}'.repeat(5000)}`;
    const body = (attrs: string) => `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"tcp.packets","sum":{"dataPoints":[{"attributes":[${attrs}]}]}}]}]}]}`;
    const b = '{"key":"dest.workload.name","value":{"stringValue":"b"}}';
    expect(() => decoder.decodeJson(body(`{"key":"source.workload.name","value":${deep}},${b}`))).toThrow(/nested deeper/);
    const [o] = decoder.decodeJson(body(`{"key":"source.workload.name","value":{"stringValue":"a"}},${b},{"key":"deep","value":${deep}}`)).observations;
    expect(o.attributes()).toEqual({ 'source.workload.name': 'a', 'dest.workload.name': 'b' });
    expectDecodeErrorOrResult(() => decoder.decodeJson('['.repeat(200000) + ']'.repeat(200000)));
  });

  test('JSON: random character mutations of valid requests', () => {
    fc.assert(
      fc.property(requestArb, fc.array(mutation, { minLength: 1, maxLength: 3 }), (req, ms) => {
        const json = Buffer.from(JSON.stringify(T.toObject(T.fromObject(req), { longs: String, bytes: String, json: true })));
        expectDecodeErrorOrResult(() => decoder.decodeJson(mutate(json, ms)));
      }),
      { numRuns: 300 },
    );
  });

  test('JSON: arbitrary JSON values in place of the request or any part of it', () => {
    const parts = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(parts, parts, fc.constantFrom('resourceMetrics', 'resource', 'scopeMetrics', 'metrics', 'sum', 'dataPoints', 'attributes', 'value', 'timeUnixNano', 'flags'), (top, part, where) => {
        expectDecodeErrorOrResult(() => decoder.decodeJson(JSON.stringify(top)));
        const shaped = { resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ metrics: [{ name: 'tcp.packets', sum: { dataPoints: [{ attributes: [{ key: 'source.workload.name', value: { stringValue: 'a' } }, { key: 'dest.workload.name', value: {} }], timeUnixNano: '1' }] } }] }] }] };
        expectDecodeErrorOrResult(() => decoder.decodeJson(JSON.stringify(shaped, (k, v: unknown) => (k === where ? part : v))));
      }),
      { numRuns: 300 },
    );
  });
});
