import { DecodeError } from '../core/errors';
import type { Attributes, DecodeResult, Observation, Protocol } from '../core/observation';
import type { TrafficSample } from '../core/traffic';
import { anyToString } from './any-value';
import { FLAG_NO_RECORDED_VALUE, drop, newDecodeResult } from './decode-result';
import { addJsonSample } from './json-samples';
import { type JsonObject, asArray, asObject, asString, collectJsonAttributes, field, jsonAnyValue, timeMs, uint32 } from './json-values';
import { K_CLUSTER, K_DEST, K_DEST_NS, K_SOURCE, K_SOURCE_NS, type WatchSpec } from './watch-spec';

const NO_ATTRIBUTES: readonly unknown[] = [];

/** An observation decoded from OTLP/JSON; attributes() stringifies the parsed lists on demand. */
class JsonObservation implements Observation {
  readonly #resource: unknown[];
  readonly #point: unknown[];

  constructor(
    public cluster: string,
    public protocol: Protocol,
    public source: string,
    public dest: string,
    public sourceNamespace: string,
    public destNamespace: string,
    public timeMs: number,
    resourceAttributes: unknown[],
    pointAttributes: unknown[],
  ) {
    this.#resource = resourceAttributes;
    this.#point = pointAttributes;
  }

  attributes(): Attributes {
    const out: Attributes = {};
    collectJsonAttributes(this.#resource, out);
    collectJsonAttributes(this.#point, out);
    return out;
  }
}

/** The OTLP metric data kinds (the Metric.data oneof). */
const DATA_KINDS: ReadonlyArray<[string, string]> = [
  ['gauge', 'gauge'],
  ['sum', 'sum'],
  ['histogram', 'histogram'],
  ['exponentialHistogram', 'exponential_histogram'],
  ['summary', 'summary'],
];

/**
 * Walks a parsed OTLP/JSON ExportMetricsServiceRequest. Shapes are checked on the path to the
 * watched and traffic points (a wrong one throws DecodeError); other metrics are only checked
 * for a string name; attribute lists of those points are checked entry by entry, but only the
 * values in use are decoded now.
 */
class JsonWalker {
  private readonly result: DecodeResult = newDecodeResult();
  private readonly values: Array<string | undefined>;
  /** Only when traffic metrics are on. */
  private readonly samples: TrafficSample[] | undefined;

  constructor(private readonly spec: WatchSpec) {
    this.values = new Array<string | undefined>(spec.keys.length);
    if (spec.trafficNames.length > 0) this.samples = this.result.samples = [];
  }

  request(body: unknown): DecodeResult {
    const req = asObject(body, 'ExportMetricsServiceRequest');
    if (req === undefined) throw new DecodeError('invalid OTLP/JSON: ExportMetricsServiceRequest must be an object, got null');
    for (const rm of asArray(field(req, 'resourceMetrics', 'resource_metrics'), 'resourceMetrics')) {
      this.resourceMetrics(asObject(rm, 'ResourceMetrics') ?? {});
    }
    return this.result;
  }

  private resourceMetrics(rm: JsonObject): void {
    const resource = asObject(rm.resource, 'ResourceMetrics.resource');
    const resAttrs = resource === undefined ? (NO_ATTRIBUTES as unknown[]) : asArray(resource.attributes, 'Resource.attributes');
    this.readValues(resAttrs, K_CLUSTER + 1); // only the cluster is read from the resource
    const resCluster = this.values[K_CLUSTER] ?? '';
    for (const sm of asArray(field(rm, 'scopeMetrics', 'scope_metrics'), 'scopeMetrics')) {
      const scope = asObject(sm, 'ScopeMetrics') ?? {};
      for (const m of asArray(scope.metrics, 'ScopeMetrics.metrics')) this.metric(asObject(m, 'Metric') ?? {}, resCluster, resAttrs);
    }
  }

  private metric(m: JsonObject, resCluster: string, resAttrs: unknown[]): void {
    const name = asString(m.name, 'Metric.name');
    const protocol = this.spec.byName.get(name);
    const traffic = this.samples !== undefined && this.spec.trafficByName.has(name);
    if (protocol === undefined && !traffic) return;
    let kind = '';
    let data: JsonObject | undefined;
    for (const [camel, snake] of DATA_KINDS) {
      const v = asObject(field(m, camel, snake), `Metric.${camel}`);
      if (v === undefined) continue;
      if (kind !== '') throw new DecodeError(`invalid OTLP/JSON: metric "${String(m.name)}" has both ${kind} and ${camel}`);
      kind = camel;
      data = v;
    }
    if (data === undefined || (kind !== 'gauge' && kind !== 'sum')) return;
    for (const p of asArray(field(data, 'dataPoints', 'data_points'), `${kind}.dataPoints`)) {
      this.point(asObject(p, 'NumberDataPoint') ?? {}, protocol, traffic ? name : undefined, resCluster, resAttrs);
    }
  }

  /** `protocol` when the metric is watched, `traffic` (its name) when it is a traffic metric. */
  private point(p: JsonObject, protocol: Protocol | undefined, traffic: string | undefined, resCluster: string, resAttrs: unknown[]): void {
    const result = this.result;
    const attrs = asArray(p.attributes, 'NumberDataPoint.attributes');
    const flags = uint32(p.flags, 'NumberDataPoint.flags');
    const time = timeMs(field(p, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano');
    this.readValues(attrs, this.values.length);
    if (traffic !== undefined && this.samples !== undefined) addJsonSample(this.samples, p, traffic, flags, time, this.values, resCluster);
    if (protocol === undefined) return;
    result.pointsTotal++;
    if ((flags & FLAG_NO_RECORDED_VALUE) !== 0) return drop(result, 'no_value');
    const v = this.values;
    const source = v[K_SOURCE] ?? '';
    if (source === '') return drop(result, 'missing_source');
    const dest = v[K_DEST] ?? '';
    if (dest === '') return drop(result, 'missing_dest');
    const cluster = v[K_CLUSTER] ?? resCluster;
    result.observations.push(new JsonObservation(cluster, protocol, source, dest, v[K_SOURCE_NS] ?? '', v[K_DEST_NS] ?? '', time, resAttrs, attrs));
  }

  /** Checks each KeyValue's shape and decodes the values of the first `keyCount` keys in use (last one wins). */
  private readValues(list: unknown[], keyCount: number): void {
    const keys = this.spec.keys;
    const values = this.values;
    values.fill(undefined);
    for (const e of list) {
      const kv = asObject(e, 'KeyValue') ?? {};
      const key = asString(kv.key, 'KeyValue.key');
      for (let i = 0; i < keyCount; i++) {
        if (key === keys[i]) values[i] = anyToString(jsonAnyValue(kv.value, 0));
      }
    }
  }
}

/** Decodes an OTLP/JSON ExportMetricsServiceRequest body; throws DecodeError on invalid JSON or shapes. */
export function decodeOtlpJson(text: string | Buffer, spec: WatchSpec): DecodeResult {
  let s = typeof text === 'string' ? text : text.toString('utf8');
  if (s.charCodeAt(0) === 0xfeff) s = s.slice(1); // a UTF-8 byte order mark is not JSON
  let body: unknown;
  try {
    body = JSON.parse(s);
  } catch (err) {
    throw new DecodeError(`invalid OTLP/JSON: ${(err as Error).message}`);
  }
  return new JsonWalker(spec).request(body);
}
