import type { Attributes, Protocol } from './observation';

export interface AlertEndpoint {
  workload: string;
  namespace: string | null;
}

/** Rules an alert can come from: the two edge rules, the storm guard's summary, and the three traffic-anomaly rules. */
export type AlertRule = 'kubernetes_newly_seen_tcp_edge' | 'kubernetes_newly_seen_udp_edge' | typeof STORM_RULE | TrafficAlertRule;

/** Rules of the traffic-anomaly detections (README "Anomalous traffic"). */
export type TrafficAlertRule =
  | 'kubernetes_anomalous_traffic_on_network_edge'
  | 'kubernetes_anomalous_inbound_network_activity_from_process'
  | 'kubernetes_anomalous_outbound_network_activity_from_process';

/** One anomalous (10 s bucket, metric) of a traffic alert: the bucket's average above mean + k·σ. */
export interface AlertAnomaly {
  metric: string;
  /** Start of the 10 s bucket (ISO). */
  bucket_start: string;
  /** The bucket's average of the metric. */
  value: number;
  /** The key's baseline mean and standard deviation (after the floor) of the metric. */
  mean: number;
  stdev: number;
  /** (value − mean) / stdev. */
  z: number;
  /** "<metric> higher than average by <z, 2 decimals> standard deviations" (the original search's wording). */
  message: string;
}

/** Rule of the storm guard's summary alert (README "Storm guard"). */
export const STORM_RULE = 'kubernetes_newly_seen_edge_storm';

/** Severity levels of an alert, in increasing order (README "Alert format"). */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What kind of change a new edge is (README "Alert format": the kind rules). */
export type ContextKind = 'new_workload' | 'new_protocol' | 'new_path';

/** What the baseline knew about both ends of a new edge when it was detected. */
export interface AlertContext {
  kind: ContextKind;
  /** When each end first appeared in the scope's baseline as either end of an edge (ISO), or null. */
  source_first_seen: string | null;
  dest_first_seen: string | null;
  /** Distinct workloads each end talked to before (either direction, any protocol; this edge not counted). */
  source_peers: number;
  dest_peers: number;
  /** Both namespaces are known and differ. */
  cross_namespace: boolean;
}

/** The alert JSON of the interface contract (README "Alert format"). */
export interface Alert {
  id: string;
  rule: AlertRule;
  title: string;
  cluster: string;
  /** Null only in a storm summary whose held-back edges span both protocols. */
  protocol: Protocol | null;
  source: AlertEndpoint;
  dest: AlertEndpoint;
  first_seen: string;
  detected_at: string;
  previous_seen: string | null;
  risk_score: number;
  impact: number;
  confidence: number;
  mitre_attack: string[];
  baseline_window_s: number;
  detection_window_s: number;
  /** New-edge alerts (not storm summaries, nor alerts enqueued before context existed). */
  severity?: Severity;
  context?: AlertContext;
  attributes: Attributes;
  /** New-edge alerts, only when `external_url` is set: the edge on the web page (core/page-link.ts edgePageUrl). */
  url?: string;
  /** Storm summaries only: new edges of the window that raised no alert of their own. */
  held_back?: number;
  /** Storm summaries only: held-back edges per protocol. */
  held_back_by_protocol?: Partial<Record<Protocol, number>>;
  /** Storm summaries only: where to list them (`/api/v1/edges?cluster=&since=`, absolute with external_url). */
  list_url?: string;
  /** Traffic-anomaly alerts only: the UUID of the Splunk search the rule streams. */
  rule_id?: string;
  /** Traffic-anomaly alerts only: the anomalies of the hour that made the key fire, oldest first. */
  anomalies?: AlertAnomaly[];
  /** Process alerts only: the process and which end of the edge it runs at. */
  process?: { name: string; side: 'source' | 'dest' };
  /** Storm summaries only: the window the cap applied to. */
  window_start?: string;
  window_end?: string;
}

/**
 * What the detector hands the store with a possibly-new edge: the alert minus `previous_seen`,
 * which only the store knows at the moment it decides the edge is new.
 */
export type AlertDraft = Omit<Alert, 'previous_seen'>;

/** Final alert from a draft and the previous last-seen the store returned. */
export function completeAlert(draft: AlertDraft, previousSeenMs: number | null): Alert {
  return { ...draft, previous_seen: previousSeenMs === null ? null : new Date(previousSeenMs).toISOString() };
}
