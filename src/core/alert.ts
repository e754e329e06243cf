import type { Attributes, Protocol } from './observation';

export interface AlertEndpoint {
  workload: string;
  namespace: string | null;
}

/** Rules an alert can come from: the two edge rules, and the storm guard's summary. */
export type AlertRule = 'kubernetes_newly_seen_tcp_edge' | 'kubernetes_newly_seen_udp_edge' | typeof STORM_RULE;

/** Rule of the storm guard's summary alert (README "Storm guard"). */
export const STORM_RULE = 'kubernetes_newly_seen_edge_storm';

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
  attributes: Attributes;
  /** Storm summaries only: new edges of the window that raised no alert of their own. */
  held_back?: number;
  /** Storm summaries only: held-back edges per protocol. */
  held_back_by_protocol?: Partial<Record<Protocol, number>>;
  /** Storm summaries only: where to list them (`/api/v1/edges?cluster=&since=`, absolute with external_url). */
  list_url?: string;
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
