import type { DecodeResult } from '../core/observation';
import { decodeOtlpJson } from './otlp-json';
import { decodeOtlpProtobuf } from './otlp-protobuf';
import { type DecoderOptions, type WatchSpec, compileWatchSpec } from './watch-spec';

export type { DecoderOptions } from './watch-spec';

/**
 * OTLP metrics request → observations of the watched metrics (decode stage of the pipeline).
 *
 * - Only Gauge / Sum points of metrics named in `metrics` are examined (`pointsTotal` counts
 *   those); other metrics, and Histogram / Summary data of watched names, are skipped unread.
 * - Protocol: the metric name's text before the first dot.
 * - Cluster: the point's `clusterAttr` if present, else the resource's, else ''.
 * - Dropped (counted in `dropped`, never thrown): flag NO_RECORDED_VALUE → `no_value`; then no
 *   or empty `sourceAttr` → `missing_source`; then no or empty `destAttr` → `missing_dest`.
 * - timeMs: floor(time_unix_nano / 1e6), 0 when absent.
 * - Duplicate keys or fields: the last one on the wire wins.
 * - Malformed input throws DecodeError (INVALID_ARGUMENT); nothing else is thrown.
 *
 * Traffic samples (`samples`, only when `trafficMetrics` is not empty; core/traffic.ts):
 * - One per Gauge / Sum point of a metric named in `trafficMetrics`; a metric in both lists
 *   yields an observation and a sample per point. Points of traffic metrics are decoded and
 *   checked like watched ones (malformed → DecodeError).
 * - value: as_double, or as_int as a number (beyond 2⁵³ rounded to the nearest double); the
 *   last value on the wire wins in protobuf, both set is a DecodeError in JSON.
 * - No sample (and nothing counted: `dropped` and `pointsTotal` are about watched metrics only)
 *   for flag NO_RECORDED_VALUE, no value, or no or empty source or dest.
 * - cluster, namespaces and timeMs as for observations; sourceProcess / destProcess from
 *   `sourceProcessAttr` / `destProcessAttr` ('' when absent), read only when samples are on.
 *
 * Observations from decodeProtobuf keep a reference to `buf` for their lazy attributes().
 * Constructing throws ConfigError when a metric name's protocol is not tcp or udp.
 */
export class OtlpDecoder {
  readonly #spec: WatchSpec;

  constructor(opts: DecoderOptions) {
    this.#spec = compileWatchSpec(opts);
  }

  /** Decodes ExportMetricsServiceRequest protobuf bytes (gRPC message or OTLP/HTTP body). */
  decodeProtobuf(buf: Buffer): DecodeResult {
    const bytes: Uint8Array = buf; // a plain Uint8Array is accepted too, wrapped without a copy
    return decodeOtlpProtobuf(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), this.#spec);
  }

  /** Decodes an OTLP/JSON ExportMetricsServiceRequest body. */
  decodeJson(text: string | Buffer): DecodeResult {
    return decodeOtlpJson(text, this.#spec);
  }
}
