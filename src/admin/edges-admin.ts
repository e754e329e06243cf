import { STORM_RULE } from '../core/alert';
import { GLOBAL_SCOPE, type EdgeKey } from '../core/edge';
import type { Protocol } from '../core/observation';
import type { BaselineStore } from '../store/store';
import { yieldToIntake } from '../store/prune-slices';
import type { StreamOut } from './chunk-sink';
import { PolicyGrouping, policyChunks, type NamespaceIndex } from './network-policy';

/** A request that names no valid edge; the admin API answers 400 with the message. */
export class EdgeQueryError extends Error {}

export interface EdgeSelector {
  /** Required under scope `cluster`; ignored under `global`. */
  cluster?: string;
  source: string;
  dest: string;
  /** Omitted: both protocols. */
  protocol?: Protocol;
}

/** Alerts scanned for workload namespaces (the baseline stores none). */
const NAMESPACE_SCAN_ALERTS = 10_000;
/** Edges of one cluster exported at most. */
const EXPORT_MAX_EDGES = 1_000_000;
/** Edges per scanEdges call of the export. */
const EXPORT_PAGE = 2000;

function scopeOf(cluster: string | undefined, scope: 'cluster' | 'global', what: string): string {
  if (scope === 'global') return GLOBAL_SCOPE;
  if (cluster === undefined || cluster === '') throw new EdgeQueryError(`cluster: required to ${what} (baseline_scope is cluster)`);
  return cluster;
}

export function parseProtocol(text: string | null | undefined): Protocol | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  if (text !== 'tcp' && text !== 'udp') throw new EdgeQueryError(`protocol: expected tcp or udp, given "${text}"`);
  return text;
}

/** `?cluster=&source=&dest=&protocol=` of DELETE /api/v1/edges. */
export function selectorFromParams(params: URLSearchParams): EdgeSelector {
  const source = params.get('source');
  const dest = params.get('dest');
  if (source === null || source === '') throw new EdgeQueryError('source: required (the source workload name)');
  if (dest === null || dest === '') throw new EdgeQueryError('dest: required (the destination workload name)');
  const sel: EdgeSelector = { source, dest };
  const cluster = params.get('cluster');
  if (cluster !== null) sel.cluster = cluster;
  const protocol = parseProtocol(params.get('protocol'));
  if (protocol !== undefined) sel.protocol = protocol;
  return sel;
}

/**
 * Forget the selected edges (both protocols unless one is named); returns those that existed.
 * The store logs each forget, and every replica on the store drops the edge from its cache at
 * its next flush (Detector.flush); `onForget` drops it from the caller's cache at once.
 */
export async function forgetEdges(store: BaselineStore, sel: EdgeSelector, scope: 'cluster' | 'global', onForget?: (key: EdgeKey) => void): Promise<EdgeKey[]> {
  const s = scopeOf(sel.cluster, scope, 'forget an edge');
  const protocols: Protocol[] = sel.protocol === undefined ? ['tcp', 'udp'] : [sel.protocol];
  const forgotten: EdgeKey[] = [];
  for (const protocol of protocols) {
    const key: EdgeKey = { scope: s, protocol, source: sel.source, dest: sel.dest };
    const existed = await store.forgetEdge(key);
    // After the delete: a store answer that predates it is fenced off by the detector.
    onForget?.(key);
    if (existed) forgotten.push(key);
  }
  return forgotten;
}

/** Namespaces of workloads as recent alerts of the cluster recorded them. */
export async function namespaceIndex(store: BaselineStore, cluster: string | null): Promise<NamespaceIndex> {
  const index: NamespaceIndex = new Map();
  const add = (workload: string, ns: string | null): void => {
    if (ns === null || ns === '') return;
    const set = index.get(workload) ?? new Set<string>();
    index.set(workload, set);
    set.add(ns);
  };
  for (const { alert } of await store.listAlerts(NAMESPACE_SCAN_ALERTS)) {
    if (alert.rule === STORM_RULE || (cluster !== null && alert.cluster !== cluster)) continue;
    add(alert.source.workload, alert.source.namespace);
    add(alert.dest.workload, alert.dest.namespace);
  }
  return index;
}

/**
 * GET /api/v1/networkpolicies?cluster= and `edgewatch edges export`: the cluster's most recent
 * EXPORT_MAX_EDGES edges, read in scanEdges pages into a PolicyGrouping (one entry per
 * destination and source, not the edge records), then the YAML written a policy at a time.
 * Memory is bounded by the cluster's distinct (destination, source) pairs, at most
 * EXPORT_MAX_EDGES; the answer itself is never held whole. Nothing is written before the scan
 * ended, so a bad request or a store failure still gets its own status.
 */
export async function writeNetworkPolicies(store: BaselineStore, cluster: string | undefined, scope: 'cluster' | 'global', nowMs: number, out: StreamOut): Promise<void> {
  const s = scopeOf(cluster, scope, 'export network policies');
  const grouping = new PolicyGrouping();
  let cursor: string | null | undefined;
  while (cursor !== null && grouping.edges < EXPORT_MAX_EDGES) {
    if (cursor !== undefined) await yieldToIntake();
    const page = await store.scanEdges({ cursor, scope: s, limit: Math.min(EXPORT_PAGE, EXPORT_MAX_EDGES - grouping.edges) });
    for (const e of page.edges) grouping.add(e);
    cursor = page.cursor;
  }
  const namespaces = await namespaceIndex(store, scope === 'global' ? null : s);
  out.start();
  for (const chunk of policyChunks(grouping, namespaces, { cluster: scope === 'global' ? (cluster ?? 'all clusters (global scope)') : s, nowMs })) await out.write(chunk);
}
