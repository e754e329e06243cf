import { randomBytes } from 'node:crypto';
import type { EdgeKey } from '../core/edge';

/**
 * A 128-bit hash of an edge key (four 32-bit murmur3-style lanes), keyed with per-process random
 * seeds so nobody can craft two workload names that collide offline. The cache stores these
 * 16 bytes instead of the key strings, which is what keeps it at tens of bytes per edge.
 */
export class EdgeHasher {
  private readonly seeds: Int32Array;
  /** Output lanes of the last hash() call (reused: no allocation per point). */
  readonly out = new Int32Array(4);

  constructor(seed?: Buffer) {
    const bytes = seed ?? randomBytes(16);
    this.seeds = new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 16));
  }

  hash(k: EdgeKey): Int32Array {
    return this.hashParts(k.scope, k.protocol, k.source, k.dest);
  }

  /** hash() of the key with these parts, without building the key object (the per-point path). */
  hashParts(scope: string, protocol: string, source: string, dest: string): Int32Array {
    this.h0 = this.seeds[0];
    this.h1 = this.seeds[1];
    this.h2 = this.seeds[2];
    this.h3 = this.seeds[3];
    this.mix(scope);
    this.mix(protocol);
    this.mix(source);
    this.mix(dest);
    // Cross the lanes before finalizing so every output bit depends on all of them.
    this.out[0] = fmix(this.h0 ^ this.h1);
    this.out[1] = fmix(this.h1 ^ this.h2);
    this.out[2] = fmix(this.h2 ^ this.h3);
    this.out[3] = fmix(this.h3 ^ this.h0 ^ 0x5bd1e995);
    return this.out;
  }

  // Lanes live on the instance so hashing a point allocates nothing.
  private h0 = 0;
  private h1 = 0;
  private h2 = 0;
  private h3 = 0;

  private mix(s: string): void {
    let h0 = this.h0;
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    // The length goes in first: it is what keeps ("ab","c") and ("a","bc") apart.
    for (let i = -1; i < s.length; i++) {
      const c = i < 0 ? s.length | 0x10000000 : s.charCodeAt(i);
      h0 = step(h0, c, 0xcc9e2d51);
      h1 = step(h1, c, 0x1b873593);
      h2 = step(h2, c, 0x85ebca6b);
      h3 = step(h3, c, 0xc2b2ae35);
    }
    this.h0 = h0;
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
  }
}

// Looked up once: under jest every test file runs in a vm context, where each `Math.imul` in
// this loop is a slow global lookup (~0.5 µs; ~90 µs per hash), which made in-process tests
// of bulk traffic crawl. The same speed as `Math.imul` in a plain process.
const imul = Math.imul;

function step(h: number, c: number, m: number): number {
  let k = imul(c, m);
  k = (k << 15) | (k >>> 17);
  k = imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
