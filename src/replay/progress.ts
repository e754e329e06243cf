/** Where progress goes: stderr in the CLI, a buffer in tests. */
export interface ProgressOut {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressState {
  doneBytes: number;
  totalBytes: number;
  points: number;
  edges: number;
  skipped: number;
}

const BAR = 30;

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Progress of a replay by bytes read: a redrawn bar on a terminal (at most 10 times a second),
 * otherwise a plain line every `lineIntervalMs` (logs of a Job or CI keep them readable).
 */
export class Progress {
  private lastDraw = 0;
  private drawn = false;
  private readonly startMs = Date.now();

  constructor(
    private readonly out: ProgressOut,
    private readonly lineIntervalMs = 5_000,
  ) {}

  update(s: ProgressState, force = false): void {
    const now = Date.now();
    const interval = this.out.isTTY === true ? 100 : this.lineIntervalMs;
    if (!force && now - this.lastDraw < interval) return;
    this.lastDraw = now;
    const frac = s.totalBytes > 0 ? Math.min(1, s.doneBytes / s.totalBytes) : 0;
    const pct = `${(frac * 100).toFixed(0).padStart(3)}%`;
    const counts = `${fmt(s.points)} points, ${fmt(s.edges)} edges, ${fmt(s.skipped)} skipped, ${((now - this.startMs) / 1000).toFixed(1)} s`;
    if (this.out.isTTY === true) {
      const filled = Math.round(frac * BAR);
      this.out.write(`\r[${'#'.repeat(filled)}${'.'.repeat(BAR - filled)}] ${pct} ${counts}\x1b[K`);
      this.drawn = true;
    } else {
      this.out.write(`replay: ${pct.trim()} ${counts}\n`);
    }
  }

  /** End the bar's line so what follows starts on its own. */
  done(s: ProgressState): void {
    this.update(s, true);
    if (this.drawn) this.out.write('\n');
  }
}
