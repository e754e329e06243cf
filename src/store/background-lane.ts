/**
 * Background write work of one store (refresh batches, prune slices) in one queue, so that two
 * of them never run back to back and hold the event loop between them. Each piece of work is a
 * slice sized to take about TARGET_SLICE_MS (AdaptiveSlice), and after each slice the lane rests
 * on a timer for about as long as the slice took (at most MAX_REST_MS): OTLP exports and admin
 * reads queued meanwhile run in the rest. Foreground work (observe of new edges, API reads) does
 * not go through the lane and is never queued behind it.
 */

/** What one slice should take: a stall of this much is invisible next to an export's own cost. */
export const TARGET_SLICE_MS = 4;
/** The longest rest after a slice: bounds how much a long background job is slowed down. */
export const MAX_REST_MS = 20;

export interface AdaptiveSliceOptions {
  /** Rows of the first slice. */
  initial: number;
  min?: number;
  max?: number;
  targetMs?: number;
}

/**
 * Rows per slice, learned from how long the last slices took: the next size aims at the target
 * time, moved at most ×2 or ÷2 per slice (one slow slice, e.g. a GC pause, does not collapse it).
 */
export class AdaptiveSlice {
  private rows: number;
  private readonly min: number;
  private readonly max: number;
  private readonly targetMs: number;

  constructor(opts: AdaptiveSliceOptions) {
    this.min = Math.max(1, opts.min ?? 16);
    this.max = Math.max(this.min, opts.max ?? 20_000);
    this.targetMs = opts.targetMs ?? TARGET_SLICE_MS;
    this.rows = clamp(Math.round(opts.initial), this.min, this.max);
  }

  get size(): number {
    return this.rows;
  }

  /** A slice of `rows` rows took `ms`; rows < size (the job's last, short slice) teaches nothing. */
  record(rows: number, ms: number): void {
    if (rows < this.rows || rows <= 0) return;
    const ideal = ms <= 0.05 ? rows * 2 : (rows * this.targetMs) / ms;
    this.rows = clamp(Math.round(Math.min(rows * 2, Math.max(rows / 2, ideal))), this.min, this.max);
  }
}

export interface LaneOptions {
  maxRestMs?: number;
}

/** The lane was closed (its store closed): the slice did not run. */
export class LaneClosedError extends Error {
  constructor() {
    super('background lane closed');
    this.name = 'LaneClosedError';
  }
}

export class BackgroundLane {
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly maxRestMs: number;
  private readonly rests = new Set<{ timer: NodeJS.Timeout; done: () => void }>();

  constructor(opts: LaneOptions = {}) {
    this.maxRestMs = opts.maxRestMs ?? MAX_REST_MS;
  }

  /**
   * Queue one slice: it runs after every slice queued before it and the rest that follows each.
   * Resolves with its result as soon as it ran (the rest only delays the next slice).
   */
  run<T>(slice: () => T | Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      if (this.closed) throw new LaneClosedError();
      const t0 = performance.now();
      try {
        return await slice();
      } finally {
        this.lastMs = performance.now() - t0;
      }
    });
    this.tail = result.then(
      () => this.rest(),
      () => this.rest(),
    );
    return result;
  }

  /**
   * One slice of at most `size.size` rows: `slice(rows)` does them and returns how many it did
   * (fewer: the job is done); its time teaches `size` the next slice's rows.
   */
  async sliced(size: AdaptiveSlice, slice: (rows: number) => number | Promise<number>): Promise<number> {
    const rows = size.size;
    const done = await this.run(() => slice(rows));
    if (done >= rows) size.record(done, this.lastMs);
    return done;
  }

  /** Milliseconds the last slice took (for callers that size their slices: AdaptiveSlice.record). */
  lastMs = 0;

  /** Slices still queued fail with LaneClosedError; a rest in progress ends at once. */
  close(): void {
    this.closed = true;
    for (const r of this.rests) {
      clearTimeout(r.timer);
      r.done();
    }
    this.rests.clear();
  }

  private rest(): Promise<void> {
    if (this.closed) return Promise.resolve();
    // A timer, not setImmediate: a rest must let a whole export (several turns of I/O) through.
    const ms = Math.min(this.maxRestMs, Math.max(1, this.lastMs));
    return new Promise((resolve) => {
      const r = {
        timer: setTimeout(() => {
          this.rests.delete(r);
          resolve();
        }, ms),
        done: resolve,
      };
      this.rests.add(r);
    });
  }
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
