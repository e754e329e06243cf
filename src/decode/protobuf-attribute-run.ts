import type { WireReader } from './wire-reader';

/** Tag of NumberDataPoint.attributes (field 7, length-delimited): one byte on the wire. */
const KV_TAG = (7 << 3) | 2;

/**
 * The traffic path's attribute reader. The reducer writes one edge's ~17 attributes, byte for
 * byte the same, into a dozen consecutive points (one per metric name), and with traffic metrics
 * on every point's attributes are read, not one in six. When a point's attribute block is the
 * previous point's bytes again (one memcmp), the ranges recorded for the previous block are
 * reused and the block is skipped: same bytes, same result, no KeyValue parsed.
 */
export class AttributeRun {
  private prevStart = 0;
  private prevLen = 0;
  private readonly savedStart: number[];
  private readonly savedEnd: number[];
  private blockStart = -1;
  private blockEnd = -1;
  private contiguous = true;
  private reused = false;

  constructor(
    private readonly r: WireReader,
    private readonly valueStart: number[],
    private readonly valueEnd: number[],
    private readonly keyCount: number,
    private readonly keyValue: (end: number) => void,
  ) {
    this.savedStart = new Array<number>(keyCount).fill(-1);
    this.savedEnd = new Array<number>(keyCount).fill(0);
  }

  beginPoint(): void {
    this.blockStart = -1;
    this.blockEnd = -1;
    this.contiguous = true;
    this.reused = false;
  }

  /** An attributes field whose tag starts at `at` (r.pos is past the tag); reads it, or skips the whole block when it repeats. */
  attribute(at: number, pointEnd: number): void {
    const r = this.r;
    if (this.blockStart < 0) {
      this.blockStart = at;
      const len = this.prevLen;
      const stop = at + len;
      // The block must end where the previous one did (no further attribute right after it).
      if (len > 0 && stop <= pointEnd && (stop === pointEnd || r.buf[stop] !== KV_TAG) && r.buf.compare(r.buf, this.prevStart, this.prevStart + len, at, stop) === 0) {
        for (let i = 0; i < this.keyCount; i++) {
          this.valueStart[i] = this.savedStart[i];
          this.valueEnd[i] = this.savedEnd[i];
        }
        r.pos = stop;
        this.blockEnd = stop;
        this.reused = true;
        return;
      }
    } else if (at !== this.blockEnd) {
      this.contiguous = false;
    }
    this.keyValue(r.delimited(pointEnd));
    this.blockEnd = r.pos;
  }

  /** The point is read: a contiguous block read in full becomes the one the next point is compared with. */
  endPoint(): void {
    if (this.reused) return;
    if (this.blockStart < 0 || !this.contiguous) {
      this.prevLen = 0;
      return;
    }
    this.prevStart = this.blockStart;
    this.prevLen = this.blockEnd - this.blockStart;
    for (let i = 0; i < this.keyCount; i++) {
      this.savedStart[i] = this.valueStart[i];
      this.savedEnd[i] = this.valueEnd[i];
    }
  }
}
