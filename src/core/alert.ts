import type { Attributes, Protocol } from './observation';

export interface AlertEndpoint {
  workload: string;
  namespace: string | null;
}

/** The alert JSON of the interface contract (README "Alert format"). */
export interface Alert {
  id: string;
  rule: 'kubernetes_newly_seen_tcp_edge' | 'kubernetes_newly_seen_udp_edge';
  title: string;
  cluster: string;
  protocol: Protocol;
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
