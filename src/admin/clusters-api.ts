import { GLOBAL_SCOPE } from '../core/edge';
import type { BaselineStore } from '../store/store';

/** A cluster in GET /api/v1/clusters: when its first point came and whether it still learns. */
export interface ClusterJson {
  /** Null under baseline_scope global (one baseline for all clusters). */
  name: string | null;
  first_point: string;
  /** first_point + learning_period: until then its new edges are recorded without alerts. */
  learning_until: string;
  learning: boolean;
}

export interface ClustersJson {
  learning_period_s: number;
  clusters: ClusterJson[];
}

/**
 * GET /api/v1/clusters. Scopes are recorded only while a learning period is configured
 * (learning_period 0 records none): then the list is empty and nothing learns.
 */
export async function listClusters(store: BaselineStore, learningPeriodMs: number, nowMs: number): Promise<ClustersJson> {
  const scopes = learningPeriodMs === 0 ? [] : await store.listScopes();
  return {
    learning_period_s: learningPeriodMs / 1000,
    clusters: scopes.map((s) => ({
      name: s.scope === GLOBAL_SCOPE ? null : s.scope,
      first_point: new Date(s.firstPointMs).toISOString(),
      learning_until: new Date(s.firstPointMs + learningPeriodMs).toISOString(),
      learning: nowMs < s.firstPointMs + learningPeriodMs,
    })),
  };
}
