import type { TrafficAlertRule } from './alert';
import type { TrafficDetection } from './traffic';

/** One traffic-anomaly detection's rule: names and id of the Splunk search it streams. */
export interface TrafficRuleSpec {
  detection: TrafficDetection;
  rule: TrafficAlertRule;
  /** The search's name; the alert title is "<name> in kubernetes cluster <cluster>". */
  name: string;
  /** The search's UUID (the alert's `rule_id`). */
  ruleId: string;
  /** Which end's process the key groups by; null for edge_traffic. */
  processSide: 'source' | 'dest' | null;
}

export const TRAFFIC_RULES: Readonly<Record<TrafficDetection, TrafficRuleSpec>> = {
  edge_traffic: {
    detection: 'edge_traffic',
    rule: 'kubernetes_anomalous_traffic_on_network_edge',
    name: 'Kubernetes Anomalous Traffic on Network Edge',
    ruleId: '886c7e51-2ea1-425d-8705-faaca5a64cc6',
    processSide: null,
  },
  process_inbound: {
    detection: 'process_inbound',
    rule: 'kubernetes_anomalous_inbound_network_activity_from_process',
    name: 'Kubernetes Anomalous Inbound Network Activity from Process',
    ruleId: '10442d8b-0701-4c25-911d-d67b906e713c',
    processSide: 'dest',
  },
  process_outbound: {
    detection: 'process_outbound',
    rule: 'kubernetes_anomalous_outbound_network_activity_from_process',
    name: 'Kubernetes Anomalous Outbound Network Activity from Process',
    ruleId: 'dd6afee6-e0a3-4028-a089-f47dd2842c22',
    processSide: 'source',
  },
};

const BY_RULE = new Map<string, TrafficRuleSpec>(Object.values(TRAFFIC_RULES).map((s) => [s.rule, s]));

/** The spec of a traffic-anomaly rule, or undefined for any other rule (new edge, storm summary). */
export function trafficRuleSpec(rule: string): TrafficRuleSpec | undefined {
  return BY_RULE.get(rule);
}

export function isTrafficAlertRule(rule: string): rule is TrafficAlertRule {
  return BY_RULE.has(rule);
}
