import type { EdgeKey } from '../core/edge';
import { EdgeHasher } from './edge-hash';
import { EdgeTable } from './edge-table';

/** Highest load of the table at capacity: short probe chains, 40 bytes per edge (24-byte slots). */
const MAX_LOAD = 0.6;
/** Below the final size the table doubles at this load. */
const GROW_LOAD = 0.5;
/** Referenced entries one eviction clears at most before it takes the next one anyway. */
const MAX_SWEEP = 64;
const MIN_SLOTS = 16;

/**
 * Known-edge cache: edge → its last-seen time (ms) as this process knows it; the store holds it
 * to within one `last_seen_resolution` period (detector.ts) once the next refresh flush ran. Holds up to `maxEntries` edges in one open-addressing table of keyed 128-bit
 * hashes (edge-table.ts), sized for that many at ≤ 60 % load; it starts small and grows on
 * demand, so a small deployment never pays for the cap. Beyond the cap, CLOCK evicts an entry
 * not looked up since the hand last passed (`evictions` counts them): an evicted edge costs one
 * store lookup when it is seen again. A miss is always safe.
 */
export class EdgeCache {
  private table: EdgeTable;
  private readonly hasher: EdgeHasher;
  private readonly finalSlots: number;
  /** Entries evicted to make room since start. */
  evictions = 0;
  /** Called once, the first time the cache holds `maxEntries` edges. */
  onFull: (() => void) | undefined;
  private full = false;

  constructor(
    readonly maxEntries: number,
    seed?: Buffer,
  ) {
    this.finalSlots = Math.max(MIN_SLOTS, Math.ceil(maxEntries / MAX_LOAD));
    this.table = new EdgeTable(Math.min(MIN_SLOTS, this.finalSlots));
    this.hasher = new EdgeHasher(seed);
  }

  get(key: EdgeKey): number | undefined {
    if (this.maxEntries <= 0) return undefined;
    const h = this.hasher.hash(key);
    const t = this.table;
    const i = t.find(h[0], h[1], h[2], h[3]);
    if (i < 0) return undefined;
    const ms = Math.abs(t.times[3 * i + 2]);
    t.times[3 * i + 2] = ms; // a lookup: referenced
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
   * `notBeforeMs`, raise it to `t` (if later), mark it referenced and return the previous value;
   * otherwise return -1. One probe of a typed array, no allocation.
   */
  knownHash(h: Int32Array, t: number, notBeforeMs: number): number {
    if (this.maxEntries <= 0) return -1;
    const tb = this.table;
    const i = tb.find(h[0], h[1], h[2], h[3]);
    if (i < 0) return -1;
    const at = 3 * i + 2;
    let prev = tb.times[at];
    if (prev < 0) prev = -prev;
    if (prev < notBeforeMs) return -1;
    tb.times[at] = t > prev ? t : prev;
    return prev;
  }

  /** Raise the cached last-seen of `key` to at least `lastMs` (inserting it if absent, evicting if full). */
  raise(key: EdgeKey, lastMs: number): void {
    if (this.maxEntries <= 0 || !(lastMs > 0)) return;
    const h = this.hasher.hash(key);
    const i = this.table.find(h[0], h[1], h[2], h[3]);
    if (i >= 0) {
      const at = 3 * i + 2;
      const prev = Math.abs(this.table.times[at]);
      this.table.times[at] = lastMs > prev ? lastMs : prev;
      return;
    }
    if (this.table.count >= this.maxEntries) {
      this.table.evictOne(MAX_SWEEP);
      this.evictions++;
    }
    // Unreferenced until its next lookup: a one-off edge goes before edges that keep talking.
    this.insert(h, -lastMs);
  }

  delete(key: EdgeKey): void {
    const h = this.hasher.hash(key);
    const i = this.table.find(h[0], h[1], h[2], h[3]);
    if (i >= 0) this.table.remove(i);
  }

  /**
   * Add an edge read from the store by the warm fill (cache-warmer.ts, which keeps forgotten
   * edges out): never evicts, returns false once the cache is full. A warmed entry starts
   * unreferenced, so under pressure it goes before edges that traffic looked up.
   */
  warm(key: EdgeKey, lastMs: number): boolean {
    if (this.maxEntries <= 0) return false;
    if (!(lastMs > 0)) return true;
    const h = this.hasher.hash(key);
    const i = this.table.find(h[0], h[1], h[2], h[3]);
    if (i >= 0) {
      const at = 3 * i + 2;
      const prev = this.table.times[at];
      if (lastMs > Math.abs(prev)) this.table.times[at] = prev < 0 ? -lastMs : lastMs;
      return true;
    }
    if (this.table.count >= this.maxEntries) return false;
    this.insert(h, -lastMs);
    return true;
  }

  clear(): void {
    this.table.clear();
  }

  get size(): number {
    return this.table.count;
  }

  /** Bytes of the table (typed arrays): what the cache costs in memory. */
  get bytes(): number {
    return this.table.times.byteLength;
  }

  private insert(h: Int32Array, signedMs: number): void {
    let t = this.table;
    if (t.count + 1 > t.slots * GROW_LOAD && t.slots < this.finalSlots) {
      t = this.table = t.resized(Math.min(this.finalSlots, t.slots * 2));
    }
    t.put(-(t.find(h[0], h[1], h[2], h[3]) + 1), h[0], h[1], h[2], h[3], signedMs);
    if (!this.full && t.count >= this.maxEntries) {
      this.full = true;
      this.onFull?.();
    }
  }
}
