import { edgeSel } from '../../src/core/page-link';
import type { AlertJson, EdgeJson } from './types';

/** Storm summaries name no single edge. */
const STORM_RULE = 'kubernetes_newly_seen_edge_storm';

/** The edge's `sel=` value, the same function that builds the alert's `url`. */
export const edgeId = edgeSel;

export interface EdgeView extends EdgeJson {
  id: string;
  alerts: AlertJson[];
  /** From the edge's alert: the baseline's edges API gives last-seen only. */
  firstSeenMs: number | null;
  /** First seen within the detection window (per its alert). */
  isNew: boolean;
  hasOpenAlert: boolean;
}

export interface ClusterModel {
  edges: EdgeView[];
  /** Workload → namespace, as alerts recorded it (the baseline stores no namespaces). */
  namespaces: Map<string, string>;
  /** Alerts of the cluster whose edge is no longer (or not yet) in the edge list. */
  orphanAlerts: AlertJson[];
}

export const UNKNOWN_NS = '(namespace unknown)';

export function alertEdgeId(a: AlertJson): string | null {
  if (a.rule === STORM_RULE || a.protocol === null) return null;
  return edgeId(a.protocol, a.source.workload, a.dest.workload);
}

/** Join a cluster's edges with the alerts about them. */
export function buildModel(edges: EdgeJson[], alerts: AlertJson[], cluster: string, nowMs: number): ClusterModel {
  const byEdge = new Map<string, AlertJson[]>();
  const namespaces = new Map<string, string>();
  for (const a of alerts) {
    if (a.cluster !== cluster) continue;
    if (a.source.namespace) namespaces.set(a.source.workload, a.source.namespace);
    if (a.dest.namespace) namespaces.set(a.dest.workload, a.dest.namespace);
    const id = alertEdgeId(a);
    if (id === null) continue;
    const list = byEdge.get(id) ?? [];
    list.push(a);
    byEdge.set(id, list);
  }
  const seen = new Set<string>();
  const views = edges.map((e): EdgeView => {
    const id = edgeId(e.protocol, e.source, e.dest);
    seen.add(id);
    const list = byEdge.get(id) ?? [];
    const first = list.reduce<number | null>((m, a) => {
      const t = Date.parse(a.first_seen);
      return m === null || t > m ? t : m;
    }, null);
    const window = (list[0]?.detection_window_s ?? 0) * 1000;
    return {
      ...e,
      id,
      alerts: list,
      firstSeenMs: first,
      isNew: first !== null && nowMs - first <= window,
      hasOpenAlert: list.some((a) => a.state === 'open'),
    };
  });
  const orphanAlerts = [...byEdge.entries()].filter(([id]) => !seen.has(id)).flatMap(([, l]) => l);
  return { edges: views, namespaces, orphanAlerts };
}

export const namespaceOf = (m: ClusterModel, workload: string): string => m.namespaces.get(workload) ?? UNKNOWN_NS;

export interface MapFilter {
  q: string;
  ns: string;
  proto: string;
  /** Epoch ms, or NaN for none. */
  sinceMs: number;
}

/** The edges the filters keep: a search or a namespace keeps edges touching a matching workload. */
export function filterEdges(m: ClusterModel, f: MapFilter): EdgeView[] {
  const q = f.q.trim().toLowerCase();
  return m.edges.filter((e) => {
    if (f.proto !== '' && e.protocol !== f.proto) return false;
    if (!Number.isNaN(f.sinceMs) && (e.firstSeenMs === null || e.firstSeenMs < f.sinceMs)) return false;
    if (f.ns !== '' && namespaceOf(m, e.source) !== f.ns && namespaceOf(m, e.dest) !== f.ns) return false;
    if (q !== '' && !e.source.toLowerCase().includes(q) && !e.dest.toLowerCase().includes(q)) return false;
    return true;
  });
}
