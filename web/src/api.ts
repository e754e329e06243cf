import { askToken, forgetToken, storedToken } from './auth';
import { readEdgePages, type EdgesPage } from './edge-pages';
import type { AlertJson, ClustersJson, EdgeJson } from './types';

/** The store or the service did not answer: the page shows a banner and keeps trying. */
export class UnavailableError extends Error {}

/**
 * A request to the admin API, same origin. A 401 asks for the token (saying why when one was
 * sent and refused) and retries with it.
 */
export async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  for (;;) {
    const headers = new Headers(init.headers);
    const token = storedToken();
    if (token !== null) headers.set('Authorization', `Bearer ${token}`);
    let res: Response;
    try {
      res = await fetch(path, { ...init, headers, cache: 'no-store' });
    } catch {
      throw new UnavailableError('edgewatch does not answer');
    }
    if (res.status === 401) {
      forgetToken();
      await askToken(token === null ? '' : 'That token was refused: check admin_token and try again.');
      continue;
    }
    const body = (await res.json().catch(() => ({}))) as T & { error?: string };
    if (res.status === 503) throw new UnavailableError(body.error ?? 'the store is unreachable');
    if (!res.ok) throw new Error(body.error ?? `HTTP ${res.status}`);
    return body;
  }
}

/** A cluster's edges (every cluster's with `cluster` ''), read in pages, at most `max`. */
export async function listEdges(cluster: string, max: number): Promise<{ edges: EdgeJson[] }> {
  const edges = await readEdgePages((limit, cursor) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cluster !== '') q.set('cluster', cluster);
    if (cursor !== null) q.set('cursor', cursor);
    return api<EdgesPage>(`/api/v1/edges?${q}`);
  }, max);
  return { edges };
}

export const listClusters = (): Promise<ClustersJson> => api('/api/v1/clusters');

export const listAlerts = (limit: number): Promise<{ alerts: AlertJson[] }> => api(`/api/v1/alerts?limit=${limit}`);

const post = (id: string, action: string, body: unknown): Promise<{ alert: AlertJson }> =>
  api(`/api/v1/alerts/${encodeURIComponent(id)}/${action}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Edgewatch-User': 'web' },
    body: JSON.stringify(body),
  });

export const ackAlert = (id: string, comment: string | null): Promise<{ alert: AlertJson }> => post(id, 'ack', comment === null ? {} : { comment });
export const expectAlert = (id: string, comment: string | null): Promise<{ alert: AlertJson }> => post(id, 'expect', comment === null ? {} : { comment });

export async function forgetEdge(cluster: string | null, protocol: string, source: string, dest: string): Promise<void> {
  const q = new URLSearchParams({ source, dest, protocol });
  if (cluster !== null) q.set('cluster', cluster);
  await api(`/api/v1/edges?${q}`, { method: 'DELETE' });
}
