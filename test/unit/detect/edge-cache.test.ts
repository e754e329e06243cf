import fc from 'fast-check';
import { edgeId, type EdgeKey } from '../../../src/core/edge';
import { EdgeCache } from '../../../src/detect/edge-cache';
import { EdgeHasher } from '../../../src/detect/edge-hash';

const key = (i: number, scope = 'c'): EdgeKey => ({ scope, protocol: i % 2 ? 'udp' : 'tcp', source: `s${i}`, dest: `d${i % 13}` });

describe('EdgeCache', () => {
  test('behaves like a Map of max times while under the bound (random operations)', () => {
    const arbKey = fc.record({ scope: fc.string({ maxLength: 4 }), protocol: fc.constantFrom<'tcp' | 'udp'>('tcp', 'udp'), source: fc.string({ maxLength: 4 }), dest: fc.string({ maxLength: 4 }) });
    const op = fc.oneof(
      fc.record({ kind: fc.constant('raise' as const), k: arbKey, t: fc.integer({ min: 1, max: 1e6 }) }),
      fc.record({ kind: fc.constant('delete' as const), k: arbKey }),
      fc.record({ kind: fc.constant('get' as const), k: arbKey }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const cache = new EdgeCache(10_000);
        const ref = new Map<string, number>();
        for (const o of ops) {
          const id = edgeId(o.k);
          if (o.kind === 'raise') {
            cache.raise(o.k, o.t);
            ref.set(id, Math.max(ref.get(id) ?? 0, o.t));
          } else if (o.kind === 'delete') {
            cache.delete(o.k);
            ref.delete(id);
          } else {
            expect(cache.get(o.k)).toBe(ref.get(id));
          }
        }
        expect(cache.size).toBe(ref.size);
        for (const o of ops) expect(cache.get(o.k)).toBe(ref.get(edgeId(o.k)));
      }),
      { numRuns: 200 },
    );
  });

  test('holds exactly maxEntries edges without evicting any (table sizes need not be powers of two)', () => {
    for (const max of [1, 5, 1000, 12_345]) {
      const cache = new EdgeCache(max);
      for (let i = 0; i < max; i++) cache.raise(key(i), 1000 + i);
      expect(cache.size).toBe(max);
      expect(cache.evictions).toBe(0);
      for (let i = 0; i < max; i++) expect(cache.get(key(i))).toBe(1000 + i);
    }
  });

  test('beyond maxEntries: evicts one per insert, counts it, and never answers a wrong time', () => {
    const cache = new EdgeCache(1000);
    for (let i = 0; i < 10_000; i++) cache.raise(key(i), 1000 + i);
    expect(cache.size).toBe(1000);
    expect(cache.evictions).toBe(9000);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = cache.get(key(i));
      if (v !== undefined) {
        hits++;
        expect(v).toBe(1000 + i);
      }
    }
    expect(hits).toBe(1000);
    expect(cache.get(key(9_999))).toBe(10_999);
  });

  test('CLOCK: edges that keep being looked up survive a stream of one-off edges', () => {
    const cache = new EdgeCache(100);
    const hot = Array.from({ length: 30 }, (_, i) => key(i, 'hot'));
    for (const k of hot) cache.raise(k, 5);
    for (let i = 0; i < 5000; i++) {
      cache.raise(key(i), 10);
      if (i % 20 === 0) for (const k of hot) expect(cache.known(k, 6, 0)).toBeGreaterThanOrEqual(5);
    }
  });

  test('reports reaching capacity once', () => {
    const cache = new EdgeCache(10);
    let full = 0;
    cache.onFull = () => full++;
    for (let i = 0; i < 9; i++) cache.raise(key(i), 1);
    expect(full).toBe(0);
    for (let i = 9; i < 50; i++) cache.raise(key(i), 1);
    expect(full).toBe(1);
  });

  test('memory: ≤ 64 bytes of table per edge at capacity, and it grows with use, not with the cap', () => {
    // (bench/cache-memory.ts measures the process at 1,000,000; the table is sized the same way at any cap)
    const cache = new EdgeCache(50_000);
    expect(cache.bytes).toBeLessThan(1024);
    for (let i = 0; i < 50_000; i++) cache.raise(key(i), 1);
    expect(cache.size).toBe(50_000);
    expect(cache.bytes / cache.size).toBeLessThanOrEqual(64);
  });

  test('deleting inside probe chains keeps every other entry reachable', () => {
    const cache = new EdgeCache(100_000);
    for (let i = 0; i < 5000; i++) cache.raise(key(i), i + 1);
    for (let i = 0; i < 5000; i += 3) cache.delete(key(i));
    for (let i = 0; i < 5000; i++) expect(cache.get(key(i))).toBe(i % 3 === 0 ? undefined : i + 1);
  });

  test('maxEntries 0 disables caching', () => {
    const cache = new EdgeCache(0);
    cache.raise(key(1), 10);
    expect(cache.get(key(1))).toBeUndefined();
  });
});

describe('EdgeHasher', () => {
  test('keys that concatenate alike hash apart', () => {
    const h = new EdgeHasher(Buffer.alloc(16, 7));
    const a = Array.from(h.hash({ scope: 'ab', protocol: 'tcp', source: 'c', dest: 'd' }));
    const b = Array.from(h.hash({ scope: 'a', protocol: 'tcp', source: 'bc', dest: 'd' }));
    expect(a).not.toEqual(b);
  });
  test('no collisions over 50k similar keys; seeds change the hash', () => {
    const h = new EdgeHasher(Buffer.alloc(16, 1));
    const seen = new Set<string>();
    for (let i = 0; i < 50_000; i++) seen.add(Array.from(h.hash(key(i))).join(','));
    expect(seen.size).toBe(50_000);
    const other = new EdgeHasher(Buffer.alloc(16, 2));
    expect(Array.from(other.hash(key(1)))).not.toEqual(Array.from(h.hash(key(1))));
  });
});

describe('EdgeCache.known (the hot path)', () => {
  test('answers known only at or after notBefore, and raises to t', () => {
    const cache = new EdgeCache(100);
    const k = key(1);
    expect(cache.known(k, 50, 0)).toBe(-1);
    cache.raise(k, 100);
    expect(cache.known(k, 150, 101)).toBe(-1); // cached 100 is before the window
    expect(cache.get(k)).toBe(100);
    expect(cache.known(k, 150, 100)).toBe(100);
    expect(cache.get(k)).toBe(150);
    expect(cache.known(k, 120, 0)).toBe(150); // an earlier point never moves it back
    expect(cache.get(k)).toBe(150);
  });
  test('a lookup marks an entry referenced; an entry never looked up goes first', () => {
    const cache = new EdgeCache(4);
    cache.raise(key(1), 10);
    expect(cache.warm(key(2), 10)).toBe(true);
    cache.raise(key(3), 10);
    cache.raise(key(4), 10);
    for (const i of [1, 3, 4]) expect(cache.known(key(i), 10, 0)).toBe(10);
    cache.raise(key(5), 10); // full: the one entry never looked up, key(2), is the one to go
    expect(cache.get(key(2))).toBeUndefined();
    for (const i of [1, 3, 4, 5]) expect(cache.known(key(i), 20, 0)).toBe(10);
  });
});

describe('EdgeCache.warm (the warm fill)', () => {
  test('adds until full and then refuses, never evicting', () => {
    const cache = new EdgeCache(3);
    expect([1, 2, 3].map((i) => cache.warm(key(i), 100 + i))).toEqual([true, true, true]);
    expect(cache.warm(key(4), 200)).toBe(false);
    expect(cache.evictions).toBe(0);
    expect(cache.get(key(4))).toBeUndefined();
    expect(cache.get(key(1))).toBe(101);
  });
  test('an edge already cached keeps the later time', () => {
    const cache = new EdgeCache(10);
    cache.raise(key(1), 500);
    expect(cache.warm(key(1), 400)).toBe(true);
    expect(cache.get(key(1))).toBe(500);
    expect(cache.warm(key(1), 600)).toBe(true);
    expect(cache.get(key(1))).toBe(600);
  });
});
