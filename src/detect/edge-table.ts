/**
 * Open-addressing hash table (linear probing) of 128-bit edge hashes and last-seen times, in one
 * ArrayBuffer of 24-byte slots: four int32 hash lanes, then a float64 time. One probe touches
 * one slot (mostly one cache line), and the table holds no JS object per entry.
 *
 * The time's sign is the CLOCK reference bit: > 0 referenced since the hand last passed, < 0 not,
 * 0 an empty slot (so times must be > 0). `abs(time)` is the last-seen.
 */
export const SLOT_BYTES = 24;

export class EdgeTable {
  /** Hash lanes: slot s at [6s, 6s + 4). */
  readonly lanes: Int32Array;
  /** Signed last-seen: slot s at [3s + 2]. */
  readonly times: Float64Array;
  readonly slots: number;
  count = 0;
  /** The CLOCK hand: the next slot eviction looks at. */
  private hand = 0;
  /** slots / 2^32: maps a 32-bit hash onto [0, slots) without a power-of-two size. */
  private readonly scale: number;

  constructor(slots: number) {
    this.slots = slots;
    const buf = new ArrayBuffer(slots * SLOT_BYTES);
    this.lanes = new Int32Array(buf);
    this.times = new Float64Array(buf);
    this.scale = slots / 4294967296;
  }

  /** Home slot of a hash (multiply-shift: any table size works). */
  home(h0: number, h3: number): number {
    return (((h0 ^ h3) >>> 0) * this.scale) | 0;
  }

  /** Slot holding the hash, or the empty slot where it would go, as -(slot + 1). */
  find(h0: number, h1: number, h2: number, h3: number): number {
    const lanes = this.lanes;
    const times = this.times;
    let i = this.home(h0, h3);
    for (;;) {
      if (times[3 * i + 2] === 0) return -(i + 1);
      const o = 6 * i;
      if (lanes[o] === h0 && lanes[o + 1] === h1 && lanes[o + 2] === h2 && lanes[o + 3] === h3) return i;
      if (++i === this.slots) i = 0;
    }
  }

  /** Put a hash into the empty slot `slot` (from find) with a signed time. */
  put(slot: number, h0: number, h1: number, h2: number, h3: number, signedMs: number): void {
    const o = 6 * slot;
    this.lanes[o] = h0;
    this.lanes[o + 1] = h1;
    this.lanes[o + 2] = h2;
    this.lanes[o + 3] = h3;
    this.times[3 * slot + 2] = signedMs;
    this.count++;
  }

  /** Backward-shift deletion keeps probe chains intact without tombstones. */
  remove(slot: number): void {
    const n = this.slots;
    let hole = slot;
    let i = slot + 1 === n ? 0 : slot + 1;
    while (this.times[3 * i + 2] !== 0) {
      const o = 6 * i;
      const home = this.home(this.lanes[o], this.lanes[o + 3]);
      // Move entry i into the hole unless its home lies cyclically in (hole, i].
      if (dist(home, i, n) >= dist(hole, i, n)) {
        this.lanes.copyWithin(6 * hole, o, o + 4);
        this.times[3 * hole + 2] = this.times[3 * i + 2];
        hole = i;
      }
      if (++i === n) i = 0;
    }
    this.times[3 * hole + 2] = 0;
    this.count--;
  }

  /**
   * CLOCK (second chance): clear reference bits from the hand on until an entry without one
   * turns up, and remove it. After `maxSweep` referenced entries the next one goes regardless,
   * which bounds the work of one eviction when everything is hot.
   */
  evictOne(maxSweep: number): void {
    if (this.count === 0) return;
    const times = this.times;
    for (let swept = 0; ; ) {
      const at = 3 * this.hand + 2;
      const t = times[at];
      if (t < 0 || (t > 0 && swept >= maxSweep)) {
        this.remove(this.hand);
        return;
      }
      if (t > 0) {
        times[at] = -t;
        swept++;
      }
      if (++this.hand === this.slots) this.hand = 0;
    }
  }

  clear(): void {
    this.times.fill(0);
    this.count = 0;
    this.hand = 0;
  }

  /** The same entries (reference bits kept) in a table of `slots` slots. */
  resized(slots: number): EdgeTable {
    const t = new EdgeTable(slots);
    for (let i = 0; i < this.slots; i++) {
      const ms = this.times[3 * i + 2];
      if (ms === 0) continue;
      const l = this.lanes;
      const o = 6 * i;
      t.put(-(t.find(l[o], l[o + 1], l[o + 2], l[o + 3]) + 1), l[o], l[o + 1], l[o + 2], l[o + 3], ms);
    }
    return t;
  }
}

/** Steps forward from slot `a` to slot `b` in a ring of `n`. */
function dist(a: number, b: number, n: number): number {
  return b >= a ? b - a : b - a + n;
}
