/**
 * The forget log's shared rules. Every store keeps the last FORGET_LOG_MAX_ENTRIES forgets; a
 * replica that falls further behind (more forgets between two of its flushes, or a long store
 * outage) drops its whole cache instead, which is always safe: a dropped known edge only costs
 * one store lookup.
 */
export const FORGET_LOG_MAX_ENTRIES = 5_000;

/**
 * For a log numbered 1, 2, 3… (memory, SQLite) whose last number is `end`: the number to read
 * after, or null when there is nothing to read — a null cursor (start at the end), or a cursor
 * the log dropped entries after or never issued (the caller reports the page truncated).
 */
export function seqAfter(cursor: string | null, end: number): number | null {
  if (cursor === null || !/^\d{1,15}$/.test(cursor)) return null;
  const after = Number(cursor);
  return after > end || after < end - FORGET_LOG_MAX_ENTRIES ? null : after;
}
