import { completeAlert, type AlertDraft } from '../../src/core/alert';
import { alertId, edgeId, GLOBAL_SCOPE, type EdgeKey } from '../../src/core/edge';
import { StoreUnavailableError } from '../../src/core/errors';
import type { BaselineStore, ObserveOutcome, Sighting } from '../../src/store/store';
import { FEATURE_SUITES } from './feature-suites';

/**
 * The contract of BaselineStore (src/store/store.ts), as tests every implementation must pass:
 * memory, SQLite, Redis standalone and Redis Cluster. Only the interface is used. Each test gets
 * a fresh, not yet initialised store from `factory` and calls `init` itself; `cleanup` must
 * tolerate a store the test already closed. The only waits are for short leases and retry times.
 */
export function storeConformance(name: string, factory: () => Promise<{ store: BaselineStore; cleanup(): Promise<void> }>): void {
  describe(`BaselineStore conformance: ${name}`, () => {
    let store: BaselineStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await factory());
      await store.init(SINKS);
    });
    afterEach(async () => {
      await cleanup();
    });

    const observeOne = async (s: Sighting): Promise<ObserveOutcome> => (await store.observe([s], W))[0];
    const lastSeen = async (k: EdgeKey): Promise<number | undefined> =>
      (await store.listEdges({ scope: k.scope, protocol: k.protocol, limit: 100_000 })).find((e) => edgeId(e.key) === edgeId(k))?.lastSeenMs;

    describe('observe: new or known', () => {
      it('an unknown edge is new, is recorded, and its alert is enqueued', async () => {
        const k = key('frontend', 'payments');
        expect(await observeOne(sighting(k, T0, T0 + 60_000))).toEqual({ isNew: true, previousSeenMs: null, lastSeenMs: T0 + 60_000, alerted: true });
        expect(await lastSeen(k)).toBe(T0 + 60_000);
        expect(await store.countEdges()).toBe(1);
      });

      it('decides at the exact window boundary: L == first − window is known, one ms older is new', async () => {
        const atEdge = key('frontend', 'cart');
        const beyond = key('frontend', 'checkout');
        await store.observe([sighting(atEdge, T0, T0, false), sighting(beyond, T0, T0, false)], W);
        const known = await observeOne(sighting(atEdge, T0 + W, T0 + W + 30_000));
        expect(known).toEqual({ isNew: false, previousSeenMs: T0, lastSeenMs: T0 + W + 30_000, alerted: false });
        const again = await observeOne(sighting(beyond, T0 + W + 1, T0 + W + 30_000));
        expect(again).toEqual({ isNew: true, previousSeenMs: T0, lastSeenMs: T0 + W + 30_000, alerted: true });
        const [stored] = await store.listAlerts(10);
        expect(stored.alert).toEqual(completeAlert(alertDraft(beyond, T0 + W + 1), T0));
        expect(stored.alert.previous_seen).toBe(new Date(T0).toISOString());
      });

      it('uses the window it is given', async () => {
        const k = key('api', 'db');
        await observeOne(sighting(k, T0, T0, false));
        expect((await store.observe([sighting(k, T0 + 1001, T0 + 1001, false)], 1000))[0].isNew).toBe(true);
        expect((await store.observe([sighting(k, T0 + 2001, T0 + 2001, false)], 1000))[0].isNew).toBe(false);
      });

      it('never moves last-seen back (late data is known and keeps the later time)', async () => {
        const k = key('frontend', 'search');
        await observeOne(sighting(k, T0, T0 + 60_000));
        expect(await observeOne(sighting(k, T0 - DAY, T0 - DAY + 30_000))).toEqual({ isNew: false, previousSeenMs: T0 + 60_000, lastSeenMs: T0 + 60_000, alerted: false });
        expect(await lastSeen(k)).toBe(T0 + 60_000);
        expect((await observeOne(sighting(k, T0 + 90_000, T0 + 120_000))).lastSeenMs).toBe(T0 + 120_000);
        expect(await lastSeen(k)).toBe(T0 + 120_000);
      });

      it('enqueues only when the edge is new and a draft is given', async () => {
        const k = key('frontend', 'ads');
        expect((await observeOne(sighting(k, T0, T0, false))).alerted).toBe(false);
        expect((await observeOne(sighting(k, T0 + 30_000))).alerted).toBe(false); // known, draft ignored
        expect(await store.listAlerts(10)).toEqual([]);
        expect(await store.claimAlerts(SINKS[0], 'c1', 10, 60_000)).toEqual([]);
        expect(await store.outboxStats()).toEqual({ pending: { [SINKS[0]]: 0, [SINKS[1]]: 0 }, failed: { [SINKS[0]]: 0, [SINKS[1]]: 0 } });
      });

      it('enqueues an alert id once (a retry, a replay, a second replica)', async () => {
        const k = key('frontend', 'payments');
        const first = sighting(k, T0);
        expect((await observeOne(first)).alerted).toBe(true);
        // The edge is pruned but its alert is still pending: the same appearance again is new, yet not re-alerted.
        expect(await store.prune(T0 + 1)).toBe(1);
        expect(await observeOne(first)).toEqual({ isNew: true, previousSeenMs: null, lastSeenMs: T0, alerted: false });
        // Another edge carrying the same alert id is not enqueued either.
        const other = { ...sighting(key('frontend', 'other'), T0), alert: first.alert };
        expect(await observeOne(other)).toMatchObject({ isNew: true, alerted: false });
        expect(await store.listAlerts(10)).toHaveLength(1);
        expect(await store.claimAlerts(SINKS[0], 'c1', 10, 60_000)).toHaveLength(1);
      });

      it('decides many sightings in one call, in order, with distinct outcomes', async () => {
        const keys = Array.from({ length: 300 }, (_, i) => key(`svc-${i}`, `dep-${i % 7}`, { protocol: i % 2 ? 'udp' : 'tcp' }));
        const first = await store.observe(keys.map((k, i) => sighting(k, T0 + i, T0 + i, i % 3 === 0)), W);
        expect(first).toEqual(keys.map((_, i) => ({ isNew: true, previousSeenMs: null, lastSeenMs: T0 + i, alerted: i % 3 === 0 })));
        const second = await store.observe(keys.map((k) => sighting(k, T0 + 1000, T0 + 1000)), W);
        expect(second).toEqual(keys.map((_, i) => ({ isNew: false, previousSeenMs: T0 + i, lastSeenMs: T0 + 1000, alerted: false })));
        expect(await store.countEdges()).toBe(300);
        expect(await store.listAlerts(1000)).toHaveLength(100);
      });

      it('sees earlier sightings of the same call: the same key twice is new then known', async () => {
        const k = key('frontend', 'payments');
        const out = await store.observe([sighting(k, T0, T0 + 30_000), sighting(k, T0 + 60_000, T0 + 90_000)], W);
        expect(out).toEqual([
          { isNew: true, previousSeenMs: null, lastSeenMs: T0 + 30_000, alerted: true },
          { isNew: false, previousSeenMs: T0 + 30_000, lastSeenMs: T0 + 90_000, alerted: false },
        ]);
        expect(await store.listAlerts(10)).toHaveLength(1);
      });

      it('two appearances of one key in one call (a gap longer than the window) are both new', async () => {
        const k = key('batch', 'backup', { protocol: 'udp' });
        const out = await store.observe([sighting(k, T0 - W - 2 * DAY), sighting(k, T0)], W);
        expect(out).toEqual([
          { isNew: true, previousSeenMs: null, lastSeenMs: T0 - W - 2 * DAY, alerted: true },
          { isNew: true, previousSeenMs: T0 - W - 2 * DAY, lastSeenMs: T0, alerted: true },
        ]);
        const alerts = await store.listAlerts(10);
        expect(alerts.map((a) => a.alert.previous_seen)).toEqual([new Date(T0 - W - 2 * DAY).toISOString(), null]);
      });

      it('20 concurrent observe() calls of the same new edge: exactly one is new and alerts', async () => {
        const k = key('frontend', 'payments');
        const calls = Array.from({ length: 20 }, (_, i) => store.observe([sighting(k, T0 + i * 30_000)], W));
        const outcomes = (await Promise.all(calls)).map((o) => o[0]);
        expect(outcomes.filter((o) => o.isNew)).toHaveLength(1);
        expect(outcomes.filter((o) => o.alerted)).toHaveLength(1);
        expect(outcomes.find((o) => o.isNew)?.alerted).toBe(true);
        expect(await lastSeen(k)).toBe(T0 + 19 * 30_000);
        for (const sink of SINKS) expect(await store.claimAlerts(sink, 'c1', 100, 60_000)).toHaveLength(1);
      });
    });

    describe('refresh, touchScope, prune', () => {
      it('refresh only moves last-seen forward, in batches, and never creates an edge', async () => {
        const k = key('frontend', 'payments');
        await observeOne(sighting(k, T0, T0, false));
        await store.refresh([{ key: k, lastMs: T0 - 3_600_000 }]);
        expect(await lastSeen(k)).toBe(T0);
        await store.refresh([{ key: k, lastMs: T0 + 7_200_000 }, { key: k, lastMs: T0 + 3_600_000 }]);
        expect(await lastSeen(k)).toBe(T0 + 7_200_000);
        expect((await observeOne(sighting(k, T0 + 7_200_000 + W))).isNew).toBe(false);
        const unknown = key('cron', 'mail');
        await store.refresh([{ key: unknown, lastMs: T0 }]);
        await store.refresh([]);
        expect(await lastSeen(unknown)).toBeUndefined();
        expect(await observeOne(sighting(unknown, T0 + 30_000))).toMatchObject({ isNew: true, previousSeenMs: null });
      });

      it('touchScope keeps the earliest point time per scope', async () => {
        expect(await store.touchScope('prod-eu', T0)).toBe(T0);
        expect(await store.touchScope('prod-eu', T0 + DAY)).toBe(T0);
        expect(await store.touchScope('prod-eu', T0 - 60_000)).toBe(T0 - 60_000);
        expect(await store.touchScope('prod-us', T0 + DAY)).toBe(T0 + DAY);
        expect(await store.touchScope(GLOBAL_SCOPE, T0 + 5)).toBe(T0 + 5);
        expect(await store.touchScope('prod-eu', T0 + 2 * DAY)).toBe(T0 - 60_000);
      });

      it('prune deletes edges last seen before the cut (not at it); they are new again', async () => {
        const old = key('frontend', 'legacy');
        const edge = key('frontend', 'cart');
        const fresh = key('frontend', 'payments');
        await store.observe([sighting(old, T0 - 1, T0 - 1, false), sighting(edge, T0, T0, false), sighting(fresh, T0 + 1, T0 + 1, false)], W);
        expect(await store.prune(T0)).toBe(1);
        expect(await store.countEdges()).toBe(2);
        expect(await lastSeen(old)).toBeUndefined();
        expect(await store.prune(T0)).toBe(0);
        expect(await observeOne(sighting(old, T0 + 60_000))).toEqual({ isNew: true, previousSeenMs: null, lastSeenMs: T0 + 60_000, alerted: true });
        expect((await observeOne(sighting(edge, T0 + 60_000))).isNew).toBe(false);
      });

      it('prune deletes finished outbox entries created before the cut and keeps pending ones', async () => {
        const [a, b, c] = [key('a', 'x'), key('b', 'x'), key('c', 'x')];
        await store.observe([sighting(a, T0), sighting(b, T0), sighting(c, T0)], W);
        const [ida, idb, idc] = [a, b, c].map((k) => alertId(k, T0));
        await store.ackAlerts(SINKS[0], [ida, idc]);
        await store.ackAlerts(SINKS[1], [ida]);
        await store.failAlert(SINKS[0], idb, 'HTTP 400');
        await store.failAlert(SINKS[1], idb, 'HTTP 400');
        await store.prune(Date.now() - 3_600_000); // created after the cut: nothing goes
        expect(await store.listAlerts(10)).toHaveLength(3);
        await store.prune(Date.now() + 60_000);
        expect((await store.listAlerts(10)).map((s) => s.alert.id)).toEqual([idc]);
        expect(await store.outboxStats()).toEqual({ pending: { [SINKS[0]]: 0, [SINKS[1]]: 1 }, failed: { [SINKS[0]]: 0, [SINKS[1]]: 0 } });
        expect((await store.claimAlerts(SINKS[1], 'c1', 10, 60_000)).map((e) => e.alertId)).toEqual([idc]);
      });
    });

    describe('listEdges and countEdges', () => {
      const seeded = [
        { k: key('frontend', 'payments'), t: T0 },
        { k: key('frontend', 'payments', { protocol: 'udp' }), t: T0 + 60_000 },
        { k: key('frontend', 'payments', { scope: 'prod-us' }), t: T0 + 120_000 },
        { k: key('frontend', 'payments', { scope: GLOBAL_SCOPE }), t: T0 + 180_000 },
        { k: key('cron', 'mail'), t: T0 + 240_000 },
      ];
      const ids = (recs: { key: EdgeKey }[]): string[] => recs.map((r) => edgeId(r.key));
      beforeEach(async () => {
        await store.observe(seeded.map(({ k, t }) => sighting(k, t, t, false)), W);
      });

      it('filters by scope, protocol and sinceMs, newest first, up to limit', async () => {
        const byTime = (...i: number[]): string[] => i.map((n) => edgeId(seeded[n].k));
        expect(ids(await store.listEdges({ limit: 100 }))).toEqual(byTime(4, 3, 2, 1, 0));
        expect(ids(await store.listEdges({ scope: 'prod-eu', limit: 100 }))).toEqual(byTime(4, 1, 0));
        expect(ids(await store.listEdges({ scope: GLOBAL_SCOPE, limit: 100 }))).toEqual(byTime(3));
        expect(ids(await store.listEdges({ protocol: 'udp', limit: 100 }))).toEqual(byTime(1));
        expect(ids(await store.listEdges({ protocol: 'tcp', sinceMs: T0 + 120_000, limit: 100 }))).toEqual(byTime(4, 3, 2));
        expect(ids(await store.listEdges({ scope: 'prod-eu', protocol: 'tcp', sinceMs: T0, limit: 100 }))).toEqual(byTime(4, 0));
        expect(ids(await store.listEdges({ scope: 'prod-eu', protocol: 'tcp', sinceMs: T0 + 1, limit: 100 }))).toEqual(byTime(4));
        expect(ids(await store.listEdges({ limit: 2 }))).toEqual(byTime(4, 3));
        expect(await store.listEdges({ scope: 'nowhere', limit: 100 })).toEqual([]);
        expect((await store.listEdges({ scope: 'prod-us', limit: 1 }))[0]).toEqual({ key: seeded[2].k, lastSeenMs: T0 + 120_000 });
      });

      it('counts every edge', async () => {
        expect(await store.countEdges()).toBe(seeded.length);
      });
    });

    it('edge keys with any characters never collide and round-trip exactly', async () => {
      const big = 'w'.repeat(10 * 1024);
      const keys: EdgeKey[] = [
        ...[['a|b', 'c', 'd'], ['a', 'b|c', 'd'], ['a', 'b', 'c|d'], ['a|b|c', '', 'd'], ['a', 'b', 'c']].map(([s, src, d]) => key(src, d, { scope: s })),
        ...[['1:a|tcp|1:b', 'c', 'd'], ['1:a', 'tcp|1:b|c', 'd'], ['a:b', 'c', 'd'], ['a', 'b:c', 'd'], ['a', 'b', ':'], ['a', ':', 'b']].map(([s, src, d]) => key(src, d, { scope: s })),
        key('', '', { scope: '' }), key('x', '', { scope: '' }), key('', 'x', { scope: '' }), key('', '', { scope: 'x' }), key('', '', { scope: '', protocol: 'udp' }),
        key('café', 'naïve'), key('cafe\u0301', 'naïve'), key('🚀', '数据库'), key('שלום', 'مرحبا'), key('\u{1F468}\u200D\u{1F469}', 'ok'),
        key('{tag}', '{tag}'), key('{', '}'), key('*', '?[a-z]%'), key('line\nbreak', 'tab\tsep'), key(' ', '  '), key('nul\u0000byte', 'x'), key('nul', '\u0000bytex'),
        key(big, big), key(big + 'x', big), key(big, big + 'x'), key(big, big, { scope: big }),
        key('frontend', 'payments', { scope: GLOBAL_SCOPE }), key('frontend', 'payments', { scope: 'global' }),
      ];
      expect(new Set(keys.map(edgeId)).size).toBe(keys.length); // the fixture itself has no duplicates
      const outcomes = await store.observe(keys.map((k, i) => sighting(k, T0 + i * 1000, T0 + i * 1000, i % 5 === 0)), W);
      expect(outcomes.every((o) => o.isNew)).toBe(true);
      expect(await store.countEdges()).toBe(keys.length);
      const listed = await store.listEdges({ limit: 1000 });
      expect(listed.map((e) => e.key).sort(byId)).toEqual([...keys].sort(byId));
      for (const e of listed) expect(e.lastSeenMs).toBe(T0 + keys.findIndex((k) => edgeId(k) === edgeId(e.key)) * 1000);
      const again = await store.observe(keys.map((k) => sighting(k, T0 + DAY)), W);
      expect(again.map((o) => o.previousSeenMs)).toEqual(keys.map((_, i) => T0 + i * 1000));
      const claimed = await store.claimAlerts(SINKS[0], 'c1', 100, 60_000);
      expect(claimed.map((e) => e.draft).sort((a, b) => (a.id < b.id ? -1 : 1))).toEqual(
        keys.filter((_, i) => i % 5 === 0).map((k, j) => alertDraft(k, T0 + j * 5000)).sort((a, b) => (a.id < b.id ? -1 : 1)),
      );
    });

    describe('alert outbox', () => {
      it('enqueues one delivery per registered sink, carrying the draft and previous last-seen', async () => {
        const k = key('frontend', 'payments');
        const before = Date.now();
        await observeOne(sighting(k, T0));
        const after = Date.now();
        expect(await store.outboxStats()).toEqual({ pending: { [SINKS[0]]: 1, [SINKS[1]]: 1 }, failed: { [SINKS[0]]: 0, [SINKS[1]]: 0 } });
        for (const sink of SINKS) {
          const [entry, ...rest] = await store.claimAlerts(sink, 'c1', 10, 60_000);
          expect(rest).toEqual([]);
          expect(entry).toMatchObject({ alertId: alertId(k, T0), sink, draft: alertDraft(k, T0), previousSeenMs: null, attempts: 0 });
          expect(entry.createdMs).toBeGreaterThanOrEqual(before - CLOCK_SLACK_MS);
          expect(entry.createdMs).toBeLessThanOrEqual(after + CLOCK_SLACK_MS);
        }
        expect(await store.claimAlerts('no-such-sink', 'c1', 10, 60_000)).toEqual([]);
      });

      it('a sink registered later only sees alerts enqueued later; an unregistered sink gets no new ones', async () => {
        const [x, y, z] = [key('x', 'db'), key('y', 'db'), key('z', 'db')];
        await observeOne(sighting(x, T0));
        await store.init([...SINKS, 'slack']);
        await observeOne(sighting(y, T0));
        await store.init([SINKS[0]]);
        await observeOne(sighting(z, T0));
        const claimed = async (sink: string): Promise<string[]> => (await store.claimAlerts(sink, 'c1', 10, 60_000)).map((e) => e.alertId).sort();
        expect(await claimed('slack')).toEqual([alertId(y, T0)]);
        expect(await claimed(SINKS[1])).toEqual([alertId(x, T0), alertId(y, T0)].sort());
        expect(await claimed(SINKS[0])).toEqual([alertId(x, T0), alertId(y, T0), alertId(z, T0)].sort());
      });

      it('leases: while leased nobody else (nor the holder) claims it; max bounds a claim', async () => {
        await store.observe([sighting(key('a', 'x'), T0), sighting(key('b', 'x'), T0), sighting(key('c', 'x'), T0)], W);
        const first = await store.claimAlerts(SINKS[0], 'c1', 2, 60_000);
        expect(first).toHaveLength(2);
        const second = await store.claimAlerts(SINKS[0], 'c2', 10, 60_000);
        expect(second).toHaveLength(1);
        expect(new Set([...first, ...second].map((e) => e.alertId)).size).toBe(3);
        expect(await store.claimAlerts(SINKS[0], 'c2', 10, 60_000)).toEqual([]);
        expect(await store.claimAlerts(SINKS[0], 'c1', 10, 60_000)).toEqual([]);
        expect(await store.claimAlerts(SINKS[1], 'c1', 10, 60_000)).toHaveLength(3); // sinks are independent
      });

      it('an expired lease (a dead consumer) lets another consumer claim the entry', async () => {
        const k = key('frontend', 'payments');
        await observeOne(sighting(k, T0));
        expect(await store.claimAlerts(SINKS[0], 'dead', 10, SHORT_LEASE_MS)).toHaveLength(1);
        expect(await store.claimAlerts(SINKS[0], 'alive', 10, 60_000)).toEqual([]);
        await sleep(SHORT_LEASE_MS + 50);
        const taken = await store.claimAlerts(SINKS[0], 'alive', 10, 60_000);
        expect(taken).toMatchObject([{ alertId: alertId(k, T0), attempts: 0 }]); // a lost lease is not an attempt
        expect(await store.claimAlerts(SINKS[0], 'dead', 10, 60_000)).toEqual([]);
      });

      it('ack removes the entry for that sink for good', async () => {
        const k = key('frontend', 'payments');
        await observeOne(sighting(k, T0));
        const [entry] = await store.claimAlerts(SINKS[0], 'c1', 10, SHORT_LEASE_MS);
        await store.ackAlerts(SINKS[0], [entry.alertId, 'no-such-alert']);
        await store.ackAlerts(SINKS[0], []);
        await sleep(SHORT_LEASE_MS + 50);
        expect(await store.claimAlerts(SINKS[0], 'c2', 10, 60_000)).toEqual([]);
        expect(await store.outboxStats()).toEqual({ pending: { [SINKS[0]]: 0, [SINKS[1]]: 1 }, failed: { [SINKS[0]]: 0, [SINKS[1]]: 0 } });
        await store.ackAlerts(SINKS[0], [entry.alertId]); // a second ack changes nothing
        expect((await store.listAlerts(1))[0].deliveries).toEqual(expect.arrayContaining([{ sink: SINKS[0], state: 'delivered', attempts: 1, lastError: null }]));
      });

      it('retry releases the lease, counts an attempt, and makes it claimable only from retryAtMs', async () => {
        const k = key('frontend', 'payments');
        await observeOne(sighting(k, T0));
        const [entry] = await store.claimAlerts(SINKS[0], 'c1', 10, 60_000);
        await store.retryAlert(SINKS[0], entry.alertId, Date.now() + RETRY_DELAY_MS, 'HTTP 503');
        expect(await store.claimAlerts(SINKS[0], 'c2', 10, 60_000)).toEqual([]);
        expect((await store.outboxStats()).pending[SINKS[0]]).toBe(1);
        await sleep(RETRY_DELAY_MS + 50);
        const [again] = await store.claimAlerts(SINKS[0], 'c2', 10, 60_000);
        expect(again).toMatchObject({ alertId: entry.alertId, attempts: 1, draft: alertDraft(k, T0) });
        await store.retryAlert(SINKS[0], entry.alertId, Date.now() - 1000, 'timeout');
        expect(await store.claimAlerts(SINKS[0], 'c3', 10, 60_000)).toMatchObject([{ alertId: entry.alertId, attempts: 2 }]);
        const [stored] = await store.listAlerts(1);
        expect(stored.deliveries).toEqual(expect.arrayContaining([{ sink: SINKS[0], state: 'pending', attempts: 2, lastError: 'timeout' }]));
      });

      it('fail records a permanent failure: never claimed again, counted as failed, kept for listing', async () => {
        const k = key('frontend', 'payments');
        await observeOne(sighting(k, T0));
        const [entry] = await store.claimAlerts(SINKS[0], 'c1', 10, SHORT_LEASE_MS);
        await store.failAlert(SINKS[0], entry.alertId, 'HTTP 400 Bad Request');
        await sleep(SHORT_LEASE_MS + 50);
        expect(await store.claimAlerts(SINKS[0], 'c2', 10, 60_000)).toEqual([]);
        expect(await store.outboxStats()).toEqual({ pending: { [SINKS[0]]: 0, [SINKS[1]]: 1 }, failed: { [SINKS[0]]: 1, [SINKS[1]]: 0 } });
        const [stored] = await store.listAlerts(1);
        expect(stored.deliveries).toEqual(
          expect.arrayContaining([
            { sink: SINKS[0], state: 'failed', attempts: 1, lastError: 'HTTP 400 Bad Request' },
            { sink: SINKS[1], state: 'pending', attempts: 0, lastError: null },
          ]),
        );
      });

      it('listAlerts: completed alerts newest first with per-sink delivery states', async () => {
        const [a, b, c] = [key('a', 'db'), key('b', 'db', { protocol: 'udp' }), key('c', 'db')];
        await observeOne(sighting(b, T0 - W - DAY, T0 - W - DAY, false)); // b was seen long ago
        await observeOne(sighting(a, T0));
        await sleep(3); // distinct creation times: the order does not rest on tie-breaking
        await observeOne(sighting(b, T0));
        await sleep(3);
        await observeOne(sighting(c, T0));
        await store.ackAlerts(SINKS[0], [alertId(a, T0)]);
        await store.failAlert(SINKS[1], alertId(a, T0), 'HTTP 410');
        const listed = await store.listAlerts(10);
        expect(listed.map((s) => s.alert)).toEqual([
          completeAlert(alertDraft(c, T0), null),
          completeAlert(alertDraft(b, T0), T0 - W - DAY),
          completeAlert(alertDraft(a, T0), null),
        ]);
        expect(listed[1].alert.previous_seen).toBe(new Date(T0 - W - DAY).toISOString());
        expect(listed[0].createdMs).toBeGreaterThan(listed[2].createdMs);
        const bySink = (i: number): unknown[] => [...listed[i].deliveries].sort((x, y) => (x.sink < y.sink ? -1 : 1));
        expect(bySink(2)).toEqual(
          [
            { sink: SINKS[0], state: 'delivered', attempts: 1, lastError: null },
            { sink: SINKS[1], state: 'failed', attempts: 1, lastError: 'HTTP 410' },
          ].sort((x, y) => (x.sink < y.sink ? -1 : 1)),
        );
        expect(bySink(0)).toEqual(SINKS.map((sink) => ({ sink, state: 'pending', attempts: 0, lastError: null })).sort((x, y) => (x.sink < y.sink ? -1 : 1)));
        expect((await store.listAlerts(2)).map((s) => s.alert.id)).toEqual([alertId(c, T0), alertId(b, T0)]);
      });
    });

    describe('forgetEdge and enqueueAlert', () => {
      it('forgetEdge deletes exactly one edge (all four parts must match); its next sighting is new', async () => {
        const k = key('frontend', 'payments');
        const udp = key('frontend', 'payments', { protocol: 'udp' });
        const other = key('frontend', 'payments', { scope: 'prod-us' });
        await store.observe([sighting(k, T0, T0, false), sighting(udp, T0, T0, false), sighting(other, T0, T0, false)], W);
        expect(await store.forgetEdge(k)).toBe(true);
        expect(await store.forgetEdge(k)).toBe(false);
        expect(await store.forgetEdge(key('frontend', 'nowhere'))).toBe(false);
        expect(await lastSeen(k)).toBeUndefined();
        expect(await lastSeen(udp)).toBe(T0);
        expect(await lastSeen(other)).toBe(T0);
        expect(await store.countEdges()).toBe(2);
        expect(await observeOne(sighting(k, T0 + 30_000))).toEqual({ isNew: true, previousSeenMs: null, lastSeenMs: T0 + 30_000, alerted: true });
      });

      it('forgetEdge leaves the outbox alone', async () => {
        const k = key('frontend', 'payments');
        await observeOne(sighting(k, T0));
        await store.forgetEdge(k);
        expect(await store.claimAlerts(SINKS[0], 'c1', 10, 60_000)).toHaveLength(1);
      });

      it('enqueueAlert puts a standalone alert in every sink\'s queue with previous_seen null, once per id', async () => {
        const draft = { ...alertDraft(key('*', '*'), T0), id: 'storm-prod-eu-1', rule: 'kubernetes_newly_seen_edge_storm' as const, held_back: 7, list_url: '/api/v1/edges?cluster=prod-eu' };
        expect(await store.enqueueAlert(draft)).toBe(true);
        expect(await store.enqueueAlert({ ...draft, held_back: 9 })).toBe(false);
        expect(await store.countEdges()).toBe(0);
        for (const sink of SINKS) {
          const entries = await store.claimAlerts(sink, 'c1', 10, 60_000);
          expect(entries).toMatchObject([{ alertId: draft.id, sink, draft, previousSeenMs: null, attempts: 0 }]);
        }
        const [stored] = await store.listAlerts(10);
        expect(stored.alert).toEqual({ ...draft, previous_seen: null });
        await store.ackAlerts(SINKS[0], [draft.id]);
        expect((await store.outboxStats()).pending).toEqual({ [SINKS[0]]: 0, [SINKS[1]]: 1 });
      });

      it('enqueueAlert shares the id space of observe: an alert id enqueued by observe is not enqueued again', async () => {
        const k = key('frontend', 'payments');
        const s = sighting(k, T0);
        await observeOne(s);
        expect(await store.enqueueAlert(s.alert as AlertDraft)).toBe(false);
        expect(await store.listAlerts(10)).toHaveLength(1);
      });
    });

    // Feature suites, one file each (test/conformance/*-conformance.ts), on the same fresh store.
    const current = (): BaselineStore => store;
    for (const suite of FEATURE_SUITES) suite(current);

    describe('ping and close', () => {
      it('ping answers while open; after close every call rejects with StoreUnavailableError', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        await store.close();
        await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.observe([sighting(key('a', 'b'), T0)], W)).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(store.close()).resolves.toBeUndefined(); // idempotent
      });
    });
  });
}

const DAY = 86_400_000;
/** The default baseline window (30 d). */
export const W = 30 * DAY;
export const SINKS = ['webhook:0', 'log'];
const SHORT_LEASE_MS = 50;
const RETRY_DELAY_MS = 150;
/** Slack for a backend whose clock (e.g. Redis TIME) stamps createdMs. */
const CLOCK_SLACK_MS = 5000;
/** Point times on the 30 s grid of the eBPF reducer, three days ago (wall time only matters to the outbox). */
export const T0 = Math.floor(Date.now() / 30_000) * 30_000 - 3 * DAY;

export function key(source: string, dest: string, over: Partial<EdgeKey> = {}): EdgeKey {
  return { scope: 'prod-eu', protocol: 'tcp', source, dest, ...over };
}

/** A draft as the detector builds it for the first point of an appearance. */
export function alertDraft(k: EdgeKey, firstMs: number): AlertDraft {
  const proto = k.protocol === 'tcp' ? 'TCP' : 'UDP';
  return {
    id: alertId(k, firstMs),
    rule: k.protocol === 'tcp' ? 'kubernetes_newly_seen_tcp_edge' : 'kubernetes_newly_seen_udp_edge',
    title: `Kubernetes newly seen ${proto} edge in kubernetes cluster ${k.scope}`,
    cluster: k.scope,
    protocol: k.protocol,
    source: { workload: k.source, namespace: 'shop' },
    dest: { workload: k.dest, namespace: null },
    first_seen: new Date(firstMs).toISOString(),
    detected_at: new Date(firstMs + 120).toISOString(),
    risk_score: 25,
    impact: 50,
    confidence: 50,
    mitre_attack: ['T1204'],
    baseline_window_s: W / 1000,
    detection_window_s: 3600,
    attributes: {
      'k8s.cluster.name': k.scope,
      'source.workload.name': k.source,
      'dest.workload.name': k.dest,
      'source.namespace.name': 'shop',
      'source.availability_zone': 'eu-west-1a',
      'dest.availability_zone': 'eu-west-1b',
      az_equal: 'false',
      sf_product: 'network-explorer',
    },
  };
}

export function sighting(k: EdgeKey, firstMs: number, lastMs = firstMs, withAlert = true): Sighting {
  return withAlert ? { key: k, firstMs, lastMs, alert: alertDraft(k, firstMs) } : { key: k, firstMs, lastMs };
}

function byId(a: EdgeKey, b: EdgeKey): number {
  const [x, y] = [edgeId(a), edgeId(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
