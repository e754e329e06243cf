import fc from 'fast-check';
import type * as protobuf from 'protobufjs';
import { OtlpDecoder } from '../../../src/decode/decoder';
import { DEFAULT_DECODER_OPTIONS, requestType } from '../../helpers/otlp-fixtures';
import { requestArb } from './arbitraries';
import { plainResult, referenceDecode } from './reference';
import { rng, shuffleEncode } from './shuffle-encoder';

const decoder = new OtlpDecoder(DEFAULT_DECODER_OPTIONS);
const T: protobuf.Type = requestType();

type Obj = Record<string, unknown>;
const fullDecode = (bytes: Uint8Array, json = false): Obj =>
  T.toObject(T.decode(bytes), { longs: String, bytes: String, arrays: true, json }) as Obj;

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const INT64_FIELDS = new Set(['intValue', 'timeUnixNano']);

/** Rewrites proto3 JSON the ways a peer may: snake_case names, safe 64-bit ints as numbers, unknown fields. */
function perturbJson(v: unknown, rand: () => number): unknown {
  if (Array.isArray(v)) return v.map((x) => perturbJson(x, rand));
  if (v === null || typeof v !== 'object') return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v as Obj)) {
    let value = perturbJson(x, rand);
    if (INT64_FIELDS.has(k) && typeof x === 'string' && Number.isSafeInteger(Number(x)) && rand() < 0.5) value = Number(x);
    out[rand() < 0.5 ? snake(k) : k] = value;
  }
  if (rand() < 0.1) out.xUnknownField = { nested: [1, 'two', null] };
  return out;
}

describe('decoder equals a reference built on protobufjs full decode', () => {
  test('protobuf: random requests, random field order, random unknown fields', () => {
    fc.assert(
      fc.property(requestArb, fc.integer(), (req, seed) => {
        const bytes = Buffer.from(shuffleEncode(T, req, rng(seed)));
        const expected = referenceDecode(fullDecode(bytes), DEFAULT_DECODER_OPTIONS);
        expect(plainResult(decoder.decodeProtobuf(bytes))).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  test('JSON: the same requests as proto3 JSON, with snake_case keys and numeric int64s mixed in', () => {
    fc.assert(
      fc.property(requestArb, fc.integer(), (req, seed) => {
        const bytes = Buffer.from(shuffleEncode(T, req, rng(seed)));
        const expected = referenceDecode(fullDecode(bytes), DEFAULT_DECODER_OPTIONS);
        const json = JSON.stringify(perturbJson(fullDecode(bytes, true), rng(seed ^ 0x5bd1e995)));
        expect(plainResult(decoder.decodeJson(json))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  test('protobuf and JSON forms of a request decode to the same result', () => {
    fc.assert(
      fc.property(requestArb, (req) => {
        const bytes = T.encode(T.fromObject(req)).finish();
        const json = JSON.stringify(fullDecode(bytes, true));
        expect(plainResult(decoder.decodeJson(json))).toEqual(plainResult(decoder.decodeProtobuf(Buffer.from(bytes))));
      }),
      { numRuns: 150 },
    );
  });
});
