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
   * Points of unwatched metrics are skipped undecoded and not counted.
   */
  pointsTotal: number;
}
