import type { Protocol } from '../core/observation';

/** The detection rule each protocol maps to (names and scores of the original Splunk searches). */
export interface RuleSpec {
  rule: 'kubernetes_newly_seen_tcp_edge' | 'kubernetes_newly_seen_udp_edge';
  titlePrefix: string;
  impact: number;
  confidence: number;
  mitreAttack: string[];
}

/** What an alert's scores come from (the edge rules' and the traffic rules' are the same). */
export type Scores = Pick<RuleSpec, 'impact' | 'confidence' | 'mitreAttack'>;

export const BASE_SCORES: Readonly<Scores> = { impact: 50, confidence: 50, mitreAttack: ['T1204'] };
const base = BASE_SCORES;

export const RULES: Record<Protocol, RuleSpec> = {
  tcp: { rule: 'kubernetes_newly_seen_tcp_edge', titlePrefix: 'Kubernetes newly seen TCP edge in kubernetes cluster', ...base },
  udp: { rule: 'kubernetes_newly_seen_udp_edge', titlePrefix: 'Kubernetes newly seen UDP edge in kubernetes cluster', ...base },
};

/** Risk score as the original search computes it: impact × confidence / 100. */
export function riskScore(r: Scores): number {
  return (r.impact * r.confidence) / 100;
}

/** The score and window fields every alert of `spec` carries. */
export function scoreFields(spec: Scores, windows: { baselineWindowMs: number; detectionWindowMs: number }) {
  return {
    risk_score: riskScore(spec),
    impact: spec.impact,
    confidence: spec.confidence,
    mitre_attack: [...spec.mitreAttack],
    baseline_window_s: Math.round(windows.baselineWindowMs / 1000),
    detection_window_s: Math.round(windows.detectionWindowMs / 1000),
  };
}
