import type { AlertDraft } from '../../core/alert';
import type { Observation } from '../../core/observation';

/**
 * A traffic-anomaly alert as the Observation the filter rules match (detect/filter-rules.ts):
 * `rule` names the rule, cluster / source / dest the alert's (`*` for the end a process alert
 * does not name, which `source: "*"` matches), namespaces '' when unknown, protocol the first
 * anomaly's, and attributes the alert's (cluster, workloads, namespaces and the process under
 * their `*_attr` names). Rules naming `kind`, `severity` or `cross_namespace` (the new-edge
 * context) never match these alerts.
 */
export function alertObservation(draft: AlertDraft): Observation {
  return {
    rule: draft.rule,
    cluster: draft.cluster,
    // Always set for traffic alerts (metrics start with tcp. or udp.); tcp only as a type fallback.
    protocol: draft.protocol ?? 'tcp',
    source: draft.source.workload,
    dest: draft.dest.workload,
    sourceNamespace: draft.source.namespace ?? '',
    destNamespace: draft.dest.namespace ?? '',
    timeMs: Date.parse(draft.first_seen),
    attributes: () => ({ ...draft.attributes }),
  };
}
