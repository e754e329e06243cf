import type { TrafficSample } from './traffic';
import type { AlertRule } from './alert';

/** Protocols edgewatch watches; derived from the metric name (`tcp.packets` → tcp). */
export type Protocol = 'tcp' | 'udp';

/** Flat string attributes of one data point (resource attributes merged in, data point wins). */
export type Attributes = Record<string, string>;

/**
 * One watched data point, reduced to what detection needs. Produced by `decode/`,
 * consumed by `detect/`. Times are milliseconds since the epoch.
 */
export interface Observation {
  /** Cluster name ('' when neither the data point nor the resource carries one). */
  cluster: string;
  protocol: Protocol;
  source: string;
  dest: string;
  sourceNamespace: string;
  destNamespace: string;
  /** Point time in ms (0 when the point had no time: the detector substitutes receive time). */
  timeMs: number;
  /**
   * The rule of the alert this stands for: set only on the stand-in observation of a
   * traffic-anomaly alert (detect/traffic/alert-observation.ts), so filter rules can name it;
   * absent, the new-edge rule of `protocol`.
   */
  rule?: AlertRule;
  /**
   * All attributes of the point, decoded lazily (only new edges, which are rare, need them for
   * alerts and filter rules; the hot path never materializes them): resource attributes merged
   * under data point attributes (data point wins; within one list the last duplicate key wins).
   * Values are stringified: strings as is, bool/int/double as their text, bytes as base64,
   * arrays and kvlists as JSON. Returns a fresh object on each call; never throws (a value that
   * cannot be decoded is left out). May keep the request buffer alive until the observation is
   * dropped.
   */
  attributes(): Attributes;
}

/** Why a data point was dropped by decode or detect; label values of `edgewatch_points_dropped_total`. */
export type DropReason = 'missing_source' | 'missing_dest' | 'no_value';

/** What decoding one OTLP request yields. */
export interface DecodeResult {
  observations: Observation[];
  /** Data points of watched metrics that were dropped, by reason. */
  dropped: Partial<Record<DropReason, number>>;
  /**
   * Data points examined: the Gauge/Sum points of watched metrics (dropped ones included).
   * Points of unwatched metrics are not counted (skipped undecoded unless traffic metrics).
   */
  pointsTotal: number;
  /**
   * Points of the traffic metrics (`traffic_metrics`), present only when a traffic detection is
   * on (the decoder's trafficMetrics not empty; core/traffic.ts). A point of a metric that is both
   * watched and a traffic metric (e.g. `tcp.packets`) yields an observation and a sample. Points
   * without a value, flagged NO_RECORDED_VALUE or without a source or dest yield none, uncounted.
   */
  samples?: TrafficSample[];
}
