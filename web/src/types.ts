/**
 * The JSON the page reads, typed by the admin API's own declarations (type-only imports:
 * esbuild drops them, so no server code reaches the bundle).
 */
import type { AlertJson } from '../../src/admin/alerts-api';
import type { ClusterJson, ClustersJson } from '../../src/admin/clusters-api';

export type { AlertJson, ClusterJson, ClustersJson };
export type AlertState = AlertJson['state'];

/** One row of GET /api/v1/edges (src/admin/api.ts listEdges). */
export interface EdgeJson {
  cluster: string | null;
  protocol: 'tcp' | 'udp';
  source: string;
  dest: string;
  last_seen: string;
}

/** What the URL's query string holds: the view, so a link can be shared. */
export interface ViewState {
  cluster: string;
  view: 'map' | 'alerts';
  q: string;
  ns: string;
  proto: string;
  since: string;
  /** The selected edge as `protocol|source|dest`, or a workload as `node|name`. */
  sel: string;
  state: string;
  kind: string;
  sev: string;
  edge: string;
}
