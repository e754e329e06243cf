import type { Protocol } from '../core/observation';

/** The detection rule each protocol maps to (names and scores of the original Splunk searches). */
export interface RuleSpec {
  rule: 'kubernetes_newly_seen_tcp_edge' | 'kubernetes_newly_seen_udp_edge';
  titlePrefix: string;
  impact: number;
  confidence: number;
  mitreAttack: string[];
}

const base = { impact: 50, confidence: 50, mitreAttack: ['T1204'] };

export const RULES: Record<Protocol, RuleSpec> = {
  tcp: { rule: 'kubernetes_newly_seen_tcp_edge', titlePrefix: 'Kubernetes newly seen TCP edge in kubernetes cluster', ...base },
  udp: { rule: 'kubernetes_newly_seen_udp_edge', titlePrefix: 'Kubernetes newly seen UDP edge in kubernetes cluster', ...base },
};

/** Risk score as the original search computes it: impact × confidence / 100. */
export function riskScore(r: RuleSpec): number {
  return (r.impact * r.confidence) / 100;
}
