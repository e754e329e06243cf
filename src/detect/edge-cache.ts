import type { EdgeKey } from '../core/edge';
import { EdgeHasher } from './edge-hash';

/** One open-addressing table (linear probing): 16 bytes of hash + 8 bytes of time per slot. */
class Table {
  readonly hashes: Int32Array;
  readonly times: Float64Array;
  readonly mask: number;
  count = 0;

  constructor(slots: number) {
    this.hashes = new Int32Array(slots * 4);
    this.times = new Float64Array(slots);
    this.mask = slots - 1;
  }

  /** Slot holding `h`, or the empty slot where it would go, as -(slot + 1). */
  find(h: Int32Array): number {
    let i = (h[0] ^ h[3]) & this.mask;
    for (;;) {
      if (this.times[i] === 0) return -(i + 1);
      const o = i * 4;
      if (this.hashes[o] === h[0] && this.hashes[o + 1] === h[1] && this.hashes[o + 2] === h[2] && this.hashes[o + 3] === h[3]) return i;
      i = (i + 1) & this.mask;
    }
  }

  put(slot: number, h: Int32Array, ms: number): void {
    this.hashes.set(h, slot * 4);
    this.times[slot] = ms;
    this.count++;
  }

  /** Backward-shift deletion keeps probe chains intact without tombstones. */
  remove(slot: number): void {
    let hole = slot;
    let i = (slot + 1) & this.mask;
    while (this.times[i] !== 0) {
      const o = i * 4;
      const home = (this.hashes[o] ^ this.hashes[o + 3]) & this.mask;
      // Move entry i into the hole unless its home lies cyclically in (hole, i].
      if (((i - home) & this.mask) >= ((i - hole) & this.mask)) {
        this.hashes.copyWithin(hole * 4, o, o + 4);
        this.times[hole] = this.times[i];
        hole = i;
      }
      i = (i + 1) & this.mask;
    }
    this.times[hole] = 0;
    this.count--;
  }

  clear(): void {
    this.times.fill(0);
    this.count = 0;
  }

  /** Same entries in a table of `slots` slots. */
  resized(slots: number): Table {
    const t = new Table(slots);
    for (let i = 0; i <= this.mask; i++) {
      if (this.times[i] === 0) continue;
      const h = this.hashes.subarray(i * 4, i * 4 + 4);
      t.put(-(t.find(h) + 1), h, this.times[i]);
    }
    return t;
  }
}

function pow2AtLeast(n: number): number {
  let p = 16;
  while (p < n) p *= 2;
  return p;
}

/**
 * Known-edge cache: edge → a last-seen time (ms) the store holds or will hold after the next
 * refresh flush. Bounded at `maxEntries` with two generations: when the young table is full it
 * becomes the old one and the previous old one is dropped; a hit in the old table moves the
 * entry to the young one, so edges that keep talking stay. A miss only costs a store lookup.
 * Memory: two tables of 24-byte slots at ≤ 50 % load, grown on demand: about 50 bytes per edge
 * when full (bench/cache-memory.ts measures it).
 */
export class EdgeCache {
  private young: Table;
  private old: Table;
  private readonly hasher: EdgeHasher;
  private readonly generation: number;
  private readonly maxSlots: number;

  constructor(readonly maxEntries: number, seed?: Buffer) {
    this.generation = Math.max(1, Math.ceil(maxEntries / 2));
    this.maxSlots = pow2AtLeast(this.generation * 2);
    // Tables start small and double as they fill: a small deployment never pays for the cap.
    this.young = new Table(16);
    this.old = new Table(16);
    this.hasher = new EdgeHasher(seed);
  }

  get(key: EdgeKey): number | undefined {
    if (this.maxEntries <= 0) return undefined;
    const h = this.hasher.hash(key);
    const y = this.young.find(h);
    if (y >= 0) return this.young.times[y];
    const o = this.old.find(h);
    if (o < 0) return undefined;
    const ms = this.old.times[o];
    this.old.remove(o);
    this.insert(h, ms);
    return ms;
  }

  /**
   * The cache's keyed hash of an edge, given by its parts. The lanes are reused by the next call:
   * use them (knownHash, the refresh buffer) before hashing again.
   */
  hash(scope: string, protocol: string, source: string, dest: string): Int32Array {
    return this.hasher.hashParts(scope, protocol, source, dest);
  }

  /** knownHash() for a key object. */
  known(key: EdgeKey, t: number, notBeforeMs: number): number {
    return this.knownHash(this.hasher.hash(key), t, notBeforeMs);
  }

  /**
   * The hot path: when the edge hashed to `h` is cached with a last-seen at or after
   * `notBeforeMs`, raise it to `t` (if later) and return the previous value; otherwise return -1.
   */
  knownHash(h: Int32Array, t: number, notBeforeMs: number): number {
    if (this.maxEntries <= 0) return -1;
    const y = this.young.find(h);
    if (y >= 0) {
      const prev = this.young.times[y];
      if (prev < notBeforeMs) return -1;
      if (t > prev) this.young.times[y] = t;
      return prev;
    }
    const o = this.old.find(h);
    if (o < 0) return -1;
    const prev = this.old.times[o];
    if (prev < notBeforeMs) return -1;
    this.old.remove(o);
    this.insert(h, Math.max(prev, t));
    return prev;
  }

  /** Raise the cached last-seen of `key` to at least `lastMs` (inserting it if absent). */
  raise(key: EdgeKey, lastMs: number): void {
    if (this.maxEntries <= 0 || !(lastMs > 0)) return;
    const h = this.hasher.hash(key);
    const y = this.young.find(h);
    if (y >= 0) {
      if (lastMs > this.young.times[y]) this.young.times[y] = lastMs;
      return;
    }
    const o = this.old.find(h);
    if (o >= 0) {
      lastMs = Math.max(lastMs, this.old.times[o]);
      this.old.remove(o);
    }
    this.insert(h, lastMs);
  }

  delete(key: EdgeKey): void {
    const h = this.hasher.hash(key);
    for (const t of [this.young, this.old]) {
      const i = t.find(h);
      if (i >= 0) t.remove(i);
    }
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  get size(): number {
    return this.young.count + this.old.count;
  }

  private insert(h: Int32Array, ms: number): void {
    if (this.young.count >= this.generation) {
      const dropped = this.old;
      dropped.clear();
      this.old = this.young;
      this.young = dropped;
    }
    if (this.young.count * 2 >= this.young.mask + 1 && this.young.mask + 1 < this.maxSlots) {
      this.young = this.young.resized((this.young.mask + 1) * 2);
    }
    this.young.put(-(this.young.find(h) + 1), h, ms);
  }
}
