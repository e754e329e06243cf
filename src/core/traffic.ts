/**
 * The traffic-anomaly detections (README "Anomalous traffic"): the streaming form of three
 * sibling searches of "Kubernetes newly seen TCP edge" over the same reducer metrics. Types
 * shared by decode (TrafficSample), detect and the store (TrafficKey, Moments, TrafficAnomaly).
 */

/** Values of the `detections` option; `new_edge` is the new-edge pair (TCP and UDP). */
export const DETECTIONS = ['new_edge', 'edge_traffic', 'process_inbound', 'process_outbound'] as const;
export type Detection = (typeof DETECTIONS)[number];
export type TrafficDetection = Exclude<Detection, 'new_edge'>;
export const TRAFFIC_DETECTIONS: readonly TrafficDetection[] = ['edge_traffic', 'process_inbound', 'process_outbound'];

/**
 * One data point of a watched traffic metric (`traffic_metrics`), reduced to what the traffic
 * detectors need. Produced by decode/ only when a traffic detection is on.
 */
export interface TrafficSample {
  /** Cluster name ('' when neither the data point nor the resource carries one). */
  cluster: string;
  /** The metric's name as on the wire, e.g. `tcp.bytes`. */
  metric: string;
  /** as_double, or as_int converted to a number. */
  value: number;
  /** Point time in ms (0 when absent: the detector substitutes receive time). */
  timeMs: number;
  source: string;
  dest: string;
  sourceNamespace: string;
  destNamespace: string;
  /** `source.process.name` / `dest.process.name` ('' when absent). */
  sourceProcess: string;
  destProcess: string;
}

/**
 * What one traffic detection groups by. edge_traffic: a = source workload, b = dest workload;
 * process_inbound: a = dest workload, b = dest.process.name; process_outbound: a = source
 * workload, b = source.process.name. `scope` as in EdgeKey (cluster, or '*' under global scope).
 */
export interface TrafficKey {
  detection: TrafficDetection;
  scope: string;
  a: string;
  b: string;
}

/** Unambiguous string form of a TrafficKey for any bytes (length-prefixed parts); the store's key. */
export function trafficKeyId(k: TrafficKey): string {
  return `${k.detection}|${k.scope.length}:${k.scope}|${k.a.length}:${k.a}|${k.b}`;
}

/** Inverse of trafficKeyId. Throws on a string trafficKeyId did not produce. */
export function parseTrafficKeyId(id: string): TrafficKey {
  const bar = id.indexOf('|');
  const detection = id.slice(0, bar) as TrafficDetection;
  if (!TRAFFIC_DETECTIONS.includes(detection)) throw new Error(`bad traffic key id: ${id}`);
  let pos = bar + 1;
  const lenPart = (): string => {
    const colon = id.indexOf(':', pos);
    const len = Number(id.slice(pos, colon));
    if (colon < 0 || !Number.isInteger(len) || len < 0 || id[colon + 1 + len] !== '|') throw new Error(`bad traffic key id: ${id}`);
    const value = id.slice(colon + 1, colon + 1 + len);
    pos = colon + 2 + len;
    return value;
  };
  const scope = lenPart();
  const a = lenPart();
  return { detection, scope, a, b: id.slice(pos) };
}

/** Count, sum and sum of squares of a metric's values (possibly weighted: then n is the weight). */
export interface Moments {
  n: number;
  sum: number;
  sumSq: number;
}

/** One anomalous (10 s bucket, metric) of a key: the bucket's average above mean + k·σ. */
export interface TrafficAnomaly {
  /** trafficKeyId of the key. */
  key: string;
  metric: string;
  /** Start of the 10 s bucket (ms since the epoch). */
  bucketMs: number;
  /** The bucket's average of the metric. */
  value: number;
  /** The key's baseline mean and standard deviation of the metric (σ after the floor). */
  mean: number;
  stdev: number;
  /** (value − mean) / stdev. */
  z: number;
}
