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

  test('never holds more than maxEntries, and never answers a wrong time', () => {
    const cache = new EdgeCache(1000);
    for (let i = 0; i < 10_000; i++) cache.raise(key(i), 1000 + i);
    expect(cache.size).toBeLessThanOrEqual(1000);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = cache.get(key(i));
      if (v !== undefined) {
        hits++;
        expect(v).toBe(1000 + i);
      }
    }
    expect(hits).toBeGreaterThan(400); // the most recent generation survives
    expect(cache.get(key(9_999))).toBe(10_999);
  });

  test('an edge that keeps being looked up survives eviction', () => {
    const cache = new EdgeCache(100);
    cache.raise(key(-1, 'hot'), 5);
    for (let i = 0; i < 5000; i++) {
      cache.raise(key(i), 10);
      if (i % 20 === 0) expect(cache.get(key(-1, 'hot'))).toBe(5);
    }
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
  test('finds entries of the old generation and promotes them', () => {
    const cache = new EdgeCache(4);
    cache.raise(key(1), 10);
    cache.raise(key(2), 10);
    cache.raise(key(3), 10); // key(1), key(2) move to the old generation
    expect(cache.known(key(1), 20, 0)).toBe(10);
    expect(cache.get(key(1))).toBe(20);
  });
});
