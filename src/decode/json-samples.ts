import { DecodeError } from '../core/errors';
import type { TrafficSample } from '../core/traffic';
import { inInt64Range } from './any-value';
import { FLAG_NO_RECORDED_VALUE } from './decode-result';
import { type JsonObject, double, field, integer } from './json-values';
import { K_CLUSTER, K_DEST, K_DEST_NS, K_DEST_PROC, K_SOURCE, K_SOURCE_NS, K_SOURCE_PROC } from './watch-spec';

/**
 * The value oneof of an OTLP/JSON NumberDataPoint as a number, undefined when neither member
 * is set. Both set is a DecodeError, as a proto3 JSON parser rejects two members of a oneof.
 * asInt is an int64 (a decimal string or a number); numbers beyond 2⁵³ round to the nearest double.
 */
export function jsonPointValue(p: JsonObject): number | undefined {
  const d = field(p, 'asDouble', 'as_double');
  const i = field(p, 'asInt', 'as_int');
  if (d !== undefined && i !== undefined) throw new DecodeError('invalid OTLP/JSON: NumberDataPoint has both asDouble and asInt');
  if (d !== undefined) return double(d, 'asDouble');
  if (i === undefined) return undefined;
  const n = integer(i, 'asInt');
  if (!inInt64Range(n)) throw new DecodeError(`invalid OTLP/JSON: asInt ${n} is not an int64`);
  return Number(n);
}

/**
 * Adds the sample of a point of traffic metric `metric` to `out`, given the point's attribute
 * values in WatchSpec.keys order (undefined = absent); none without a value, a source or a dest.
 */
export function addJsonSample(
  out: TrafficSample[],
  p: JsonObject,
  metric: string,
  flags: number,
  timeMs: number,
  v: ReadonlyArray<string | undefined>,
  resourceCluster: string,
): void {
  const value = jsonPointValue(p); // checked before the flag, so a malformed value is always an error
  if ((flags & FLAG_NO_RECORDED_VALUE) !== 0 || value === undefined) return;
  const source = v[K_SOURCE] ?? '';
  const dest = v[K_DEST] ?? '';
  if (source === '' || dest === '') return;
  out.push({
    cluster: v[K_CLUSTER] ?? resourceCluster,
    metric,
    value,
    timeMs,
    source,
    dest,
    sourceNamespace: v[K_SOURCE_NS] ?? '',
    destNamespace: v[K_DEST_NS] ?? '',
    sourceProcess: v[K_SOURCE_PROC] ?? '',
    destProcess: v[K_DEST_PROC] ?? '',
  });
}
