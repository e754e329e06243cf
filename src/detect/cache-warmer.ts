import { setImmediate as yieldToIntake } from 'node:timers/promises';
import { StoreUnavailableError } from '../core/errors';
import type { BaselineStore } from '../store/store';
import type { EdgeCache } from './edge-cache';
import type { ForgetFence } from './forget-fence';

/** What the warm fill works on: the detector's store, cache, forget fence and forget-log sync. */
export interface WarmTarget {
  store: BaselineStore;
  cache: EdgeCache;
  fence: ForgetFence;
  syncForgets(): Promise<void>;
}

export interface WarmOptions {
  /** Edges last seen before this are left out (they could not make a current point known). */
  sinceMs: number;
  /** Edges per store page (default 2000: a few ms of SQLite per page). */
  pageSize?: number;
  /** Checked between pages: true ends the fill (shutdown). */
  stopped?: () => boolean;
  /** A page the store failed is retried this often, `retryMs` apart, before the fill gives up. */
  retries?: number;
  retryMs?: number;
}

export interface WarmResult {
  /** Edges added to (or raised in) the cache. */
  edges: number;
  pages: number;
  /** Stopped because the cache reached cache_max_edges. */
  full: boolean;
  /** Stopped by `stopped()`. */
  stopped: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref());

/**
 * Refill the known-edge cache from the store after a start, most recent edges first, page by
 * page (scanEdges), yielding to intake between pages, until the cache is full or the baseline
 * read. Every edge it adds is one the store held at or after that last-seen when the page was
 * read, so a hit stays exact. Forgotten edges stay out: the forget log is read first (the first
 * read after a start drops the whole cache, so it must not come after the fill), and an edge
 * whose forget was applied since shortly before its page was asked (the forget fence) is skipped.
 */
export async function warmCache(target: WarmTarget, opts: WarmOptions): Promise<WarmResult> {
  const { store, cache, fence } = target;
  const result: WarmResult = { edges: 0, pages: 0, full: false, stopped: false };
  const stopped = opts.stopped ?? (() => false);
  await retrying(opts, stopped, () => target.syncForgets());
  let cursor: string | undefined;
  for (;;) {
    if (stopped()) return { ...result, stopped: true };
    if (cache.size >= cache.maxEntries) return { ...result, full: true };
    const askedAt = fence.begin();
    const page = await retrying(opts, stopped, () => store.scanEdges({ cursor, limit: opts.pageSize ?? 2000, sinceMs: opts.sinceMs }));
    if (page === undefined) return { ...result, stopped: true };
    result.pages++;
    for (const e of page.edges) {
      if (fence.stale(e.key, askedAt)) continue;
      if (!cache.warm(e.key, e.lastSeenMs)) return { ...result, full: true };
      result.edges++;
    }
    if (page.cursor === null) return result;
    cursor = page.cursor;
    await yieldToIntake();
  }
}

/** `fn`, retried on StoreUnavailableError; undefined when stopped meanwhile. */
async function retrying<T>(opts: WarmOptions, stopped: () => boolean, fn: () => Promise<T>): Promise<T | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof StoreUnavailableError) || attempt >= (opts.retries ?? 5)) throw err;
      await sleep(opts.retryMs ?? 1000);
      if (stopped()) return undefined;
    }
  }
}
