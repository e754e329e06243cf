/**
 * Decode throughput on a reducer-shaped request (1000 Metrics, one point each, 17 attributes,
 * 2 of 12 names watched), against baselines measured in the same run: protobufjs's full
 * decode of the same bytes, and JSON.parse of the same OTLP/JSON body. Also with all 12 names
 * as traffic metrics (a sample per Metric, the traffic detections' decode).
 *
 *   npx tsc -p tsconfig.bench.json && node dist-bench/bench/decode.bench.js
 */
import { OtlpDecoder } from '../src/decode/decoder';
import { DEFAULT_DECODER_OPTIONS, REDUCER_METRIC_NAMES, fixtureEdges, reducerRequest, requestType } from '../test/helpers/otlp-fixtures';

/** Median ops/s of `fn` over `rounds` time-boxed rounds (medians resist a noisy shared machine). */
function opsPerSecond(fn: () => unknown, rounds = 7, roundMs = 300): number {
  for (let i = 0; i < 100; i++) fn(); // warm up the JIT
  const rates: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    const stop = start + BigInt(roundMs) * 1_000_000n;
    let n = 0;
    let now = start;
    for (; now < stop; n++) {
      fn();
      if ((n & 7) === 7) now = process.hrtime.bigint();
    }
    rates.push((n * 1e9) / Number(now - start));
  }
  return rates.sort((a, b) => a - b)[rounds >> 1];
}

export interface DecodeBenchResult {
  requestBytes: number;
  observations: number;
  protobuf: { edgewatch: number; protobufjs: number; ratio: number };
  json: { edgewatch: number; jsonParse: number; ratio: number };
  /** All 12 names as traffic metrics: ops/s (protobuf, JSON) and samples per request. */
  traffic: { protobuf: number; json: number; samples: number };
}

export function benchDecode(): DecodeBenchResult {
  const fixture = reducerRequest({ cluster: 'prod-eu', edges: fixtureEdges(125, true) });
  const decoder = new OtlpDecoder(DEFAULT_DECODER_OPTIONS);
  const bytes = fixture.protobuf;
  const json = fixture.json;
  const T = requestType();
  const edgewatch = opsPerSecond(() => decoder.decodeProtobuf(bytes));
  const protobufjs = opsPerSecond(() => T.decode(bytes));
  const ewJson = opsPerSecond(() => decoder.decodeJson(json));
  const jsonParse = opsPerSecond(() => JSON.parse(json));
  const withTraffic = new OtlpDecoder({ ...DEFAULT_DECODER_OPTIONS, trafficMetrics: [...REDUCER_METRIC_NAMES] });
  const trafficPb = opsPerSecond(() => withTraffic.decodeProtobuf(bytes));
  const trafficJson = opsPerSecond(() => withTraffic.decodeJson(json));
  return {
    requestBytes: bytes.length,
    observations: decoder.decodeProtobuf(bytes).observations.length,
    protobuf: { edgewatch, protobufjs, ratio: edgewatch / protobufjs },
    json: { edgewatch: ewJson, jsonParse, ratio: ewJson / jsonParse },
    traffic: { protobuf: trafficPb, json: trafficJson, samples: withTraffic.decodeProtobuf(bytes).samples?.length ?? 0 },
  };
}

if (require.main === module) {
  const r = benchDecode();
  const f = (x: number) => x.toFixed(0).padStart(7);
  console.log(`reducer request: ${r.requestBytes} bytes, 1000 metrics, ${r.observations} watched points`);
  console.log(`protobuf  edgewatch ${f(r.protobuf.edgewatch)} ops/s   protobufjs decode ${f(r.protobuf.protobufjs)} ops/s   ×${r.protobuf.ratio.toFixed(1)}`);
  console.log(`json      edgewatch ${f(r.json.edgewatch)} ops/s   JSON.parse alone  ${f(r.json.jsonParse)} ops/s   ×${r.json.ratio.toFixed(2)}`);
  console.log(`traffic   protobuf ${f(r.traffic.protobuf)} ops/s   json ${f(r.traffic.json)} ops/s   (12 traffic metrics, ${r.traffic.samples} samples)`);
}
