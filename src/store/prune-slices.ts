/**
 * Prune deletes expired edges in slices of at most this many per transaction (SQLite), pass
 * (memory) or script call (Redis uses its own, smaller page), and yields to the event loop
 * between slices: a prune of millions of edges then delays an OTLP export by one slice at most.
 */
export const PRUNE_SLICE_EDGES = 1000;

/** Let queued I/O (OTLP exports, admin requests) run before the next slice. */
export function yieldToIntake(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
