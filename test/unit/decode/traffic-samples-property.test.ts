/**
 * Samples against a plain reference built on protobufjs's full decode of the same random
 * requests (random field order, unknown fields; arbitraries.ts), and the walker with traffic
 * metrics on against malformed bytes.
 */
import fc from 'fast-check';
import { DecodeError } from '../../../src/core/errors';
import type { TrafficSample } from '../../../src/core/traffic';
import { type DecoderOptions, OtlpDecoder } from '../../../src/decode/decoder';
import { DEFAULT_DECODER_OPTIONS, requestType } from '../../helpers/otlp-fixtures';
import { requestArb } from './arbitraries';
import { plainResult, referenceDecode, refText } from './reference';
import { rng, shuffleEncode } from './shuffle-encoder';

type Obj = Record<string, unknown>;
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' ? (v as Obj) : {});

// tcp.packets and udp.packets are in both lists; 'k' and 'az_equal' are keys the arbitraries generate with any value kind.
const OPTS: DecoderOptions = { ...DEFAULT_DECODER_OPTIONS, trafficMetrics: ['tcp.bytes', 'udp.drops', 'tcp.packets', 'udp.packets'], sourceProcessAttr: 'k', destProcessAttr: 'az_equal' };
const decoder = new OtlpDecoder(OPTS);
const T = requestType();
const fullDecode = (bytes: Uint8Array, json = false): Obj => T.toObject(T.decode(bytes), { longs: String, bytes: String, arrays: true, json }) as Obj;

function attrMap(attrs: unknown): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of list(attrs)) m.set((kv.key as string | undefined) ?? '', refText(obj(kv.value)));
  return m;
}

/** The sample rules applied plainly to protobufjs's decode (as reference.ts does for observations). */
function referenceSamples(req: Obj, opts: DecoderOptions): TrafficSample[] {
  const out: TrafficSample[] = [];
  for (const rm of list(req.resourceMetrics)) {
    const res = attrMap(obj(rm.resource).attributes);
    for (const sm of list(rm.scopeMetrics)) {
      for (const m of list(sm.metrics)) {
        const name = (m.name as string | undefined) ?? '';
        const data = m.gauge ?? m.sum;
        if (!opts.trafficMetrics.includes(name) || data === undefined) continue;
        for (const p of list(obj(data).dataPoints)) {
          const a = attrMap(p.attributes);
          const value = p.asDouble !== undefined ? (p.asDouble as number) : p.asInt !== undefined ? Number(BigInt(p.asInt as string)) : undefined;
          if ((Number(p.flags ?? 0) & 1) === 1 || value === undefined || !a.get(opts.sourceAttr) || !a.get(opts.destAttr)) continue;
          out.push({
            cluster: a.get(opts.clusterAttr) ?? res.get(opts.clusterAttr) ?? '',
            metric: name,
            value,
            timeMs: p.timeUnixNano === undefined ? 0 : Number(BigInt(p.timeUnixNano as string) / 1000000n),
            source: a.get(opts.sourceAttr) ?? '',
            dest: a.get(opts.destAttr) ?? '',
            sourceNamespace: a.get(opts.sourceNamespaceAttr) ?? '',
            destNamespace: a.get(opts.destNamespaceAttr) ?? '',
            sourceProcess: a.get(opts.sourceProcessAttr ?? '') ?? '',
            destProcess: a.get(opts.destProcessAttr ?? '') ?? '',
          });
        }
      }
    }
  }
  return out;
}

/** JSON has no −0 (JSON.stringify writes 0): compare zeros as zeros. */
const zerosEqual = (samples: TrafficSample[] | undefined): TrafficSample[] | undefined => samples?.map((s) => ({ ...s, value: s.value === 0 ? 0 : s.value }));

describe('samples equal a reference built on protobufjs full decode', () => {
  test('protobuf: random requests, random field order, random unknown fields; observations as without samples', () => {
    let samples = 0;
    let processes = 0;
    fc.assert(
      fc.property(requestArb, fc.integer(), (req, seed) => {
        const bytes = Buffer.from(shuffleEncode(T, req, rng(seed)));
        const r = decoder.decodeProtobuf(bytes);
        expect(r.samples).toEqual(referenceSamples(fullDecode(bytes), OPTS));
        expect(plainResult(r)).toEqual(referenceDecode(fullDecode(bytes), OPTS));
        samples += r.samples?.length ?? 0;
        processes += r.samples?.filter((x) => x.sourceProcess !== '' || x.destProcess !== '').length ?? 0;
      }),
      { numRuns: 500 },
    );
    // The runs did exercise samples, process keys included (not only empty requests).
    expect(samples).toBeGreaterThan(50);
    expect(processes).toBeGreaterThan(5);
  });

  test('JSON: the same requests as proto3 JSON', () => {
    fc.assert(
      fc.property(requestArb, fc.integer(), (req, seed) => {
        const bytes = Buffer.from(shuffleEncode(T, req, rng(seed)));
        const r = decoder.decodeJson(JSON.stringify(fullDecode(bytes, true)));
        expect(zerosEqual(r.samples)).toEqual(zerosEqual(referenceSamples(fullDecode(bytes), OPTS)));
        expect(plainResult(r)).toEqual(referenceDecode(fullDecode(bytes), OPTS));
      }),
      { numRuns: 300 },
    );
  });
});

describe('malformed input with traffic metrics on: DecodeError or a result', () => {
  test('protobuf: random byte mutations of valid requests', () => {
    const mutation = fc.record({ at: fc.nat(), byte: fc.nat({ max: 255 }), insert: fc.boolean() });
    fc.assert(
      fc.property(requestArb, fc.integer(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (req, seed, ms) => {
        const b = [...shuffleEncode(T, req, rng(seed))];
        for (const m of ms) {
          const i = b.length === 0 ? 0 : m.at % b.length;
          if (m.insert || b.length === 0) b.splice(i, 0, m.byte);
          else b[i] = m.byte;
        }
        try {
          const r = decoder.decodeProtobuf(Buffer.from(b));
          for (const s of r.samples ?? []) expect(typeof s.value).toBe('number');
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
      }),
      { numRuns: 600 },
    );
  });
});
