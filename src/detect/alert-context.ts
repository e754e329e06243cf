import { SEVERITIES, type AlertContext, type ContextKind, type Severity } from '../core/alert';
import type { Observation } from '../core/observation';
import type { EdgeFacts } from '../store/store';

/** How a new edge's kind and severity are decided (options new_workload_grace, severity_*). */
export interface ContextPolicy {
  /** An end first seen less than this before the point still counts as a new workload (a rollout's first minutes). */
  newWorkloadGraceMs: number;
  severities: Record<ContextKind, Severity>;
  /** Steps a cross-namespace edge's severity is raised (capped at the top level). */
  crossNamespaceRaise: number;
}

export const DEFAULT_CONTEXT_POLICY: Readonly<ContextPolicy> = Object.freeze({
  newWorkloadGraceMs: 10 * 60_000,
  severities: Object.freeze({ new_path: 'high', new_protocol: 'medium', new_workload: 'low' }),
  crossNamespaceRaise: 1,
});

/** What a new edge is, and how much it matters: the alert's `context` and `severity`, and what filter rules match. */
export interface Assessment {
  context: AlertContext;
  severity: Severity;
}

/**
 * new_workload when an end was never seen (or only within the grace before the point), else
 * new_protocol when the pair talks already on the other protocol, else new_path: two long-known
 * workloads that never talked, the shape of lateral movement.
 */
export function kindOf(facts: EdgeFacts, firstMs: number, graceMs: number): ContextKind {
  const fresh = (seen: number | null): boolean => seen === null || firstMs - seen < graceMs;
  if (fresh(facts.sourceFirstSeenMs) || fresh(facts.destFirstSeenMs)) return 'new_workload';
  return facts.otherProtocol ? 'new_protocol' : 'new_path';
}

/** `level` raised by `steps` (negative lowers), within info … critical. */
export function raiseSeverity(level: Severity, steps: number): Severity {
  const i = SEVERITIES.indexOf(level) + steps;
  return SEVERITIES[Math.max(0, Math.min(SEVERITIES.length - 1, i))];
}

export function assess(facts: EdgeFacts, obs: Observation, firstMs: number, policy: ContextPolicy): Assessment {
  const kind = kindOf(facts, firstMs, policy.newWorkloadGraceMs);
  const crossNamespace = obs.sourceNamespace !== '' && obs.destNamespace !== '' && obs.sourceNamespace !== obs.destNamespace;
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  const context: AlertContext = {
    kind,
    source_first_seen: iso(facts.sourceFirstSeenMs),
    dest_first_seen: iso(facts.destFirstSeenMs),
    source_peers: facts.sourcePeers,
    dest_peers: facts.destPeers,
    cross_namespace: crossNamespace,
  };
  const base = policy.severities[kind];
  return { context, severity: crossNamespace ? raiseSeverity(base, policy.crossNamespaceRaise) : base };
}

/** The options of the table (src/config/options.ts) that make up a ContextPolicy; unset ones take the defaults. */
export interface ContextOptions {
  newWorkloadGraceMs?: number;
  severityNewPath?: Severity;
  severityNewProtocol?: Severity;
  severityNewWorkload?: Severity;
  severityCrossNamespaceRaise?: number;
}

export function contextPolicy(o: ContextOptions): ContextPolicy {
  const d = DEFAULT_CONTEXT_POLICY;
  return {
    newWorkloadGraceMs: o.newWorkloadGraceMs ?? d.newWorkloadGraceMs,
    severities: {
      new_path: o.severityNewPath ?? d.severities.new_path,
      new_protocol: o.severityNewProtocol ?? d.severities.new_protocol,
      new_workload: o.severityNewWorkload ?? d.severities.new_workload,
    },
    crossNamespaceRaise: o.severityCrossNamespaceRaise ?? d.crossNamespaceRaise,
  };
}
