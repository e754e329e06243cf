import type { BaselineStore, EdgeScan } from '../store/store';
import { ScanCursorError } from '../store/scan-cursor';
import { yieldToIntake } from '../store/prune-slices';
import { BadQueryError, edgeJson, edgeQuery } from './api';
import type { StreamOut } from './chunk-sink';

/** Edges read from the store per scanEdges call (and written per chunk) within one page. */
const READ_PAGE = 1000;

/**
 * GET /api/v1/edges?cursor=&cluster=&protocol=&since=&limit=: one page of the baseline, most
 * recently seen first, `{"edges": [...], "next_cursor": "…" | null}`. The page is read from the
 * store in scans of READ_PAGE edges and each is written as it comes (yielding to OTLP intake in
 * between), so a page of 100,000 edges never sits whole in memory. The cursor is the store's
 * scan cursor, opaque to the caller; filters are the caller's to repeat with it. A bad query or
 * cursor throws BadQueryError before anything is written.
 */
export async function writeEdgesPage(store: BaselineStore, params: URLSearchParams, scope: 'cluster' | 'global', now: number, out: StreamOut): Promise<void> {
  const q = edgeQuery(params, scope, now);
  const scan: EdgeScan = { limit: 0, sinceMs: q.sinceMs, scope: q.scope, protocol: q.protocol };
  const given = params.get('cursor');
  let cursor: string | null | undefined = given === null || given === '' ? undefined : given;
  let left = q.limit;
  let wrote = false;
  // limit ≥ 1 and the first cursor is not null: the loop runs at least once.
  for (let first = true; left > 0 && cursor !== null; first = false) {
    if (!first) await yieldToIntake();
    const page = await read(store, { ...scan, cursor, limit: Math.min(left, READ_PAGE) });
    if (first) out.start();
    const items = page.edges.map((e) => JSON.stringify(edgeJson(e, scope))).join(',');
    await out.write(`${first ? '{"edges":[' : ''}${wrote && items !== '' ? ',' : ''}${items}`);
    wrote ||= items !== '';
    left -= page.edges.length;
    cursor = page.cursor;
  }
  await out.write(`],"next_cursor":${JSON.stringify(cursor ?? null)}}`);
}

async function read(store: BaselineStore, scan: EdgeScan): Promise<Awaited<ReturnType<BaselineStore['scanEdges']>>> {
  try {
    return await store.scanEdges(scan);
  } catch (err) {
    if (err instanceof ScanCursorError) throw new BadQueryError('cursor: not a cursor this service issued (pass next_cursor of the previous answer unchanged)');
    throw err;
  }
}
