import type { BaselineStore, EdgeQuery, EdgeRecord } from '../store/store';
import { GLOBAL_SCOPE } from '../core/edge';
import { parseDuration } from '../config/duration';

export class BadQueryError extends Error {}

/** Parse `since` as an ISO time, epoch ms, or a duration back from now (`since=1h`). */
export function parseSince(text: string, now: number): number {
  if (/^\d{10,}$/.test(text)) return Number(text);
  const d = parseDuration(text);
  if (d !== null) return now - d;
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new BadQueryError(`since: expected an ISO time, epoch milliseconds or a duration like 1h, given "${text}"`);
  return t;
}

export function parseLimit(text: string | null, def: number): number {
  if (text === null) return def;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new BadQueryError(`limit: expected an integer from 1 to 100000, given "${text}"`);
  return n;
}

/** `cluster=&protocol=&since=&limit=` of GET /api/v1/edges and `edgewatch edges list`. */
export function edgeQuery(params: URLSearchParams, scope: 'cluster' | 'global', now: number): EdgeQuery {
  const q: EdgeQuery = { limit: parseLimit(params.get('limit'), 1000) };
  const cluster = params.get('cluster');
  if (scope === 'global') q.scope = GLOBAL_SCOPE;
  else if (cluster !== null) q.scope = cluster;
  const protocol = params.get('protocol');
  if (protocol !== null) {
    if (protocol !== 'tcp' && protocol !== 'udp') throw new BadQueryError(`protocol: expected tcp or udp, given "${protocol}"`);
    q.protocol = protocol;
  }
  const since = params.get('since');
  if (since !== null) q.sinceMs = parseSince(since, now);
  return q;
}

/** One edge as the edges API answers it. */
export function edgeJson(e: EdgeRecord, scope: 'cluster' | 'global'): { cluster: string | null; protocol: string; source: string; dest: string; last_seen: string } {
  return { cluster: scope === 'global' ? null : e.key.scope, protocol: e.key.protocol, source: e.key.source, dest: e.key.dest, last_seen: new Date(e.lastSeenMs).toISOString() };
}

/** `edgewatch edges list`: the most recent edges, one answer (the HTTP API pages: edges-page.ts). */
export async function listEdges(store: BaselineStore, params: URLSearchParams, scope: 'cluster' | 'global', now: number): Promise<unknown> {
  const edges = await store.listEdges(edgeQuery(params, scope, now));
  return { edges: edges.map((e) => edgeJson(e, scope)) };
}
