import { edgeId, type EdgeKey } from '../../src/core/edge';
import { FORGET_LOG_MAX_ENTRIES } from '../../src/store/forget-log';
import type { BaselineStore } from '../../src/store/store';
import type { FeatureSuite } from './feature-suites';
import { key, sighting, T0, W } from './store-conformance';

const ids = (keys: EdgeKey[]): string[] => keys.map(edgeId);

/** `n` forgets of edges that never existed (a forget is logged either way), some at a time. */
async function forgetMany(store: BaselineStore, n: number, tag: string): Promise<void> {
  for (let i = 0; i < n; i += 250) {
    await Promise.all(Array.from({ length: Math.min(250, n - i) }, (_, j) => store.forgetEdge(key(`${tag}-${i + j}`, 'gone'))));
  }
}

/**
 * The forget log (forgetEdge / forgottenSince): every forget is logged in the store, so every
 * replica can drop the edge from its cache at its next flush; a refresh never writes a forgotten
 * edge back. Issue 11 item 3.
 */
export const forgetConformance: FeatureSuite = (store) => {
  describe('forget log', () => {
    it('a null cursor answers the end of the log and no keys; forgets after it are read back in order', async () => {
      const start = await store().forgottenSince(null);
      expect(start).toEqual({ cursor: expect.any(String), keys: [], truncated: false });
      const known = key('frontend', 'payments');
      await store().observe([sighting(known, T0, T0, false)], W);
      const odd = key('a|b', '数据库 🚀\u0000x', { scope: '1:x|tcp|', protocol: 'udp' });
      expect(await store().forgetEdge(known)).toBe(true);
      expect(await store().forgetEdge(odd)).toBe(false); // never existed: logged all the same
      expect(await store().forgetEdge(known)).toBe(false);

      const page = await store().forgottenSince(start.cursor);
      expect(page.truncated).toBe(false);
      expect(ids(page.keys)).toEqual(ids([known, odd, known]));
      expect(page.keys[1]).toEqual(odd);
      expect(page.cursor).not.toBe(start.cursor);
      // A cursor is a position: reading again from it gives the same, from the end nothing.
      expect(await store().forgottenSince(start.cursor)).toEqual(page);
      expect(await store().forgottenSince(page.cursor)).toEqual({ cursor: page.cursor, keys: [], truncated: false });
      expect(await store().forgottenSince(null)).toEqual({ cursor: page.cursor, keys: [], truncated: false });
    });

    it('a later cursor sees only later forgets', async () => {
      const c0 = (await store().forgottenSince(null)).cursor;
      await store().forgetEdge(key('a', 'one'));
      const c1 = (await store().forgottenSince(c0)).cursor;
      await store().forgetEdge(key('a', 'two'));
      await store().forgetEdge(key('a', 'three', { protocol: 'udp' }));
      expect(ids((await store().forgottenSince(c1)).keys)).toEqual(ids([key('a', 'two'), key('a', 'three', { protocol: 'udp' })]));
      expect(ids((await store().forgottenSince(c0)).keys)).toEqual(ids([key('a', 'one'), key('a', 'two'), key('a', 'three', { protocol: 'udp' })]));
    });

    it('a cursor the log never issued is answered truncated, with a cursor to go on from', async () => {
      await store().forgetEdge(key('a', 'one'));
      const page = await store().forgottenSince('not a cursor');
      expect(page).toEqual({ cursor: expect.any(String), keys: [], truncated: true });
      await store().forgetEdge(key('a', 'two'));
      expect(await store().forgottenSince(page.cursor)).toMatchObject({ keys: [key('a', 'two')], truncated: false });
    });

    it('refresh never creates an edge, so a buffered refresh cannot bring a forgotten edge back', async () => {
      const k = key('frontend', 'payments');
      await store().observe([sighting(k, T0, T0, false)], W);
      await store().forgetEdge(k);
      await store().refresh([{ key: k, lastMs: T0 + 60_000 }, { key: key('never', 'seen'), lastMs: T0 }]);
      expect(await store().listEdges({ limit: 10 })).toEqual([]);
      expect(await store().countEdges()).toBe(0);
      const next = (await store().observe([sighting(k, T0 + 90_000)], W))[0];
      expect(next).toEqual({ isNew: true, previousSeenMs: null, lastSeenMs: T0 + 90_000, alerted: true });
    });

    it(`keeps the last ${FORGET_LOG_MAX_ENTRIES} forgets: a reader further behind is told (truncated) and goes on from the end`, async () => {
      const c0 = (await store().forgottenSince(null)).cursor;
      await store().forgetEdge(key('first', 'gone'));
      const c1 = (await store().forgottenSince(c0)).cursor;
      await forgetMany(store(), FORGET_LOG_MAX_ENTRIES - 1, 'bulk');
      // Exactly full: both readers still get everything after their cursor.
      expect(await store().forgottenSince(c0)).toMatchObject({ truncated: false, keys: { length: FORGET_LOG_MAX_ENTRIES } });
      expect(await store().forgottenSince(c1)).toMatchObject({ truncated: false, keys: { length: FORGET_LOG_MAX_ENTRIES - 1 } });
      await store().forgetEdge(key('last', 'gone'));
      const behind = await store().forgottenSince(c0);
      expect(behind).toEqual({ cursor: expect.any(String), keys: [], truncated: true });
      const within = await store().forgottenSince(c1);
      expect(within.truncated).toBe(false);
      expect(within.keys).toHaveLength(FORGET_LOG_MAX_ENTRIES);
      expect(within.keys[within.keys.length - 1]).toEqual(key('last', 'gone'));
      expect(within.cursor).toBe(behind.cursor);
      expect(await store().forgottenSince(behind.cursor)).toEqual({ cursor: behind.cursor, keys: [], truncated: false });
    }, 60_000);
  });
};
