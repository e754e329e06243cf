import type { EdgeJson } from './types';

/** One answer of GET /api/v1/edges: `next_cursor` null on the last page, absent from a server that does not page. */
export interface EdgesPage {
  edges: EdgeJson[];
  next_cursor?: string | null;
}

export type FetchEdgePage = (limit: number, cursor: string | null) => Promise<EdgesPage>;

/** Edges per request: pages stay small enough to parse without a pause, few enough to be quick. */
export const EDGE_PAGE_LIMIT = 5000;

/**
 * Every page of a cluster's edges, following next_cursor until it is null, up to `max` edges in
 * all. A server that answers without next_cursor (before paging) gets one request of `max`, as
 * the page asked before, when its first page came back full.
 */
export async function readEdgePages(fetchPage: FetchEdgePage, max: number): Promise<EdgeJson[]> {
  const first = Math.min(EDGE_PAGE_LIMIT, max);
  let page = await fetchPage(first, null);
  if (page.next_cursor === undefined) {
    if (page.edges.length < first || first === max) return page.edges.slice(0, max);
    return (await fetchPage(max, null)).edges.slice(0, max);
  }
  const edges: EdgeJson[] = [];
  for (;;) {
    for (const e of page.edges) edges.push(e);
    const cursor = page.next_cursor ?? null;
    if (cursor === null || edges.length >= max || page.edges.length === 0) return edges.slice(0, max);
    page = await fetchPage(Math.min(EDGE_PAGE_LIMIT, max - edges.length), cursor);
  }
}
