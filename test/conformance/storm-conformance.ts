import { STORM_RULE, type Alert, type AlertDraft } from '../../src/core/alert';
import { buildStormSummary } from '../../src/detect/storm-summary';
import type { StormPolicy, StormWindow } from '../../src/store/storm';
import type { BaselineStore, LazyAlert, ObserveOutcome, Sighting } from '../../src/store/store';
import { LONG_MS, LONG_ROOM_MS, LONG_ROOM_WAIT_MS, roomInWindow, SHORT_MS, sleep } from '../helpers/storm-window';
import type { FeatureSuite } from './feature-suites';
import { key, sighting, SINKS, T0, W } from './store-conformance';

const build = (w: StormWindow) => buildStormSummary(w, { baselineWindowMs: W, detectionWindowMs: 3_600_000, nowMs: Date.now() });

/** Sightings of new edges of `cluster` with alerts. */
const burst = (cluster: string, n: number, prefix = 'src', protocol: 'tcp' | 'udp' = 'tcp') =>
  Array.from({ length: n }, (_, i) => sighting(key(`${prefix}-${i}`, 'db', { scope: cluster, protocol }), T0));

const count = (outs: ObserveOutcome[], what: 'alerted' | 'heldBack'): number => outs.filter((o) => o[what] === true).length;

/**
 * The storm guard in the store (README "Storm guard"): the cap per cluster per window counted in
 * the operation that decides "new", held-back edges recorded as they happen, one summary per
 * cluster per window whoever writes it, and decisions interrupted between steps finished by the
 * sweeper. Windows run on the store's clock (the real one here), so tests align to them.
 */
export const stormConformance: FeatureSuite = (current) => {
  describe('storm guard (observe with a storm policy)', () => {
    let store: BaselineStore;
    beforeEach(() => {
      store = current();
    });
    // Each test starts with room left in the LONG_MS window (a cap test must not cross its end);
    // waited for here, so the wait does not count against the test's own timeout.
    beforeEach(() => roomInWindow(LONG_MS, LONG_ROOM_MS), LONG_ROOM_WAIT_MS);

    const alerts = async (): Promise<Alert[]> => (await store.listAlerts(10_000)).map((a) => a.alert);
    const summaries = async (): Promise<Alert[]> => (await alerts()).filter((a) => a.rule === STORM_RULE);
    /** Polls summariseStorms (grace 0) until `n` summaries were enqueued in total; then none more. */
    const summariseUntil = async (n: number): Promise<void> => {
      let got = 0;
      for (let i = 0; got < n && i < 400; i++) {
        got += (await store.summariseStorms(0, build)).length;
        if (got < n) await sleep(25);
      }
      expect(got).toBe(n);
      expect(await store.summariseStorms(0, build)).toEqual([]);
    };

    it('counts the cap across calls, per cluster; past it new edges are held back, known ones never count', async () => {
      const policy: StormPolicy = { maxPerWindow: 3, windowMs: LONG_MS };
      const first = await store.observe(burst('prod-eu', 2, 'a'), W, policy);
      expect(first).toEqual(first.map(() => ({ isNew: true, previousSeenMs: null, lastSeenMs: T0, alerted: true })));
      const second = await store.observe([...burst('prod-eu', 4, 'b'), ...burst('prod-us', 2, 'c')], W, policy);
      expect(second.map((o) => o.isNew)).toEqual(second.map(() => true));
      expect(count(second.slice(0, 4), 'alerted')).toBe(1);
      expect(count(second.slice(0, 4), 'heldBack')).toBe(3);
      for (const o of second) expect(o.alerted !== (o.heldBack === true)).toBe(true);
      expect(count(second.slice(4), 'alerted')).toBe(2); // another cluster, its own cap
      // Known edges, and new ones without an alert draft (late, learning, filtered), never count.
      const again = await store.observe([...burst('prod-eu', 4, 'b'), sighting(key('quiet', 'db'), T0, T0, false)], W, policy);
      expect(again.map((o) => [o.alerted, o.heldBack])).toEqual(again.map(() => [false, undefined]));
      expect(await store.countEdges()).toBe(9);
      const edgeAlerts = (await alerts()).filter((a) => a.rule !== STORM_RULE);
      expect(edgeAlerts.filter((a) => a.cluster === 'prod-eu')).toHaveLength(3);
      expect(edgeAlerts.filter((a) => a.cluster === 'prod-us')).toHaveLength(2);
      // Held back means in the baseline: listed, and known from now on.
      expect((await store.listEdges({ scope: 'prod-eu', limit: 100 })).length).toBe(7);
    });

    it('builds a LazyAlert only for an alert it enqueues: held-back edges of a spent window never build theirs', async () => {
      const policy: StormPolicy = { maxPerWindow: 1, windowMs: LONG_MS };
      const built: string[] = [];
      const lazy = (s: Sighting): Sighting => {
        const draft = s.alert as AlertDraft;
        return { ...s, alert: { id: draft.id, cluster: draft.cluster, build: () => (built.push(draft.id), draft) } };
      };
      const first = burst('prod-eu', 3, 'lazy-a').map(lazy);
      const outs = await store.observe(first, W, policy);
      expect(count(outs, 'alerted')).toBe(1);
      expect(count(outs, 'heldBack')).toBe(2);
      // The enqueued alert is the built draft.
      const alerted = first[outs.findIndex((o) => o.alerted)].alert as LazyAlert;
      expect(built).toContain(alerted.id);
      expect((await alerts()).find((a) => a.id === alerted.id)).toMatchObject({ id: alerted.id, cluster: 'prod-eu' });
      // The window is spent now (a store deciding in steps may have needed the drafts above to park them).
      built.length = 0;
      const later = await store.observe(burst('prod-eu', 4, 'lazy-b').map(lazy), W, policy);
      expect(count(later, 'heldBack')).toBe(4);
      expect(built).toEqual([]);
    });

    it('without a policy nothing is counted (the guard off)', async () => {
      const outs = await store.observe(burst('prod-eu', 5), W);
      expect(count(outs, 'alerted')).toBe(5);
      expect(outs.some((o) => 'heldBack' in o)).toBe(false);
    });

    it('records held-back edges in the store and summarises each ended window once: counts per protocol, first time, bounds', async () => {
      await roomInWindow(SHORT_MS, 900);
      const policy: StormPolicy = { maxPerWindow: 1, windowMs: SHORT_MS };
      const before = Date.now();
      expect(count(await store.observe(burst('prod-eu', 1, 'first'), W, policy), 'alerted')).toBe(1);
      const held = await store.observe([...burst('prod-eu', 2, 'tcp'), ...burst('prod-eu', 1, 'dns', 'udp')], W, policy);
      expect(count(held, 'heldBack')).toBe(3);
      const seen: StormWindow[] = [];
      const record = (w: StormWindow) => {
        seen.push(w);
        return build(w);
      };
      // Not before the window ended (plus the grace).
      expect(await store.summariseStorms(60_000, record)).toEqual([]);
      let enqueued = 0;
      for (let i = 0; enqueued === 0 && i < 400; i++) {
        enqueued = (await store.summariseStorms(0, record)).length;
        if (enqueued === 0) await sleep(25);
      }
      expect(enqueued).toBe(1);
      const w = seen[seen.length - 1];
      expect(w).toMatchObject({ cluster: 'prod-eu', byProtocol: { tcp: 2, udp: 1 } });
      expect(w.windowStartMs % SHORT_MS).toBe(0);
      expect(w.windowEndMs).toBe(w.windowStartMs + SHORT_MS);
      expect(w.windowStartMs).toBeGreaterThanOrEqual(before - SHORT_MS);
      expect(w.firstMs).toBeGreaterThanOrEqual(w.windowStartMs);
      expect(w.firstMs).toBeLessThan(w.windowEndMs);
      expect(await store.summariseStorms(0, build)).toEqual([]);
      const [s] = await summaries();
      expect(s).toMatchObject({ cluster: 'prod-eu', protocol: null, held_back: 3, held_back_by_protocol: { tcp: 2, udp: 1 }, previous_seen: null });
      for (const sink of SINKS) expect((await store.claimAlerts(sink, 'c1', 100, 60_000)).filter((e) => e.alertId === s.id)).toHaveLength(1);
    });

    it('two summarisers racing write exactly one summary per cluster per window', async () => {
      await roomInWindow(SHORT_MS, 900);
      const policy: StormPolicy = { maxPerWindow: 2, windowMs: SHORT_MS };
      await store.observe([...burst('a', 5), ...burst('b', 4)], W, policy);
      let total = 0;
      for (let i = 0; total < 2 && i < 400; i++) {
        const runs = await Promise.all(Array.from({ length: 4 }, () => store.summariseStorms(0, build)));
        total += runs.reduce((n, r) => n + r.length, 0);
        if (total < 2) await sleep(25);
      }
      expect(total).toBe(2);
      expect(await store.summariseStorms(0, build)).toEqual([]);
      const got = await summaries();
      expect(got.map((s) => [s.cluster, s.held_back]).sort()).toEqual([
        ['a', 3],
        ['b', 2],
      ]);
    });

    it('an interrupted decision (parked, then a crash) is finished by the sweeper: alerted or held back exactly once', async () => {
      await roomInWindow(SHORT_MS, 900);
      const policy: StormPolicy = { maxPerWindow: 1, windowMs: SHORT_MS };
      // parkOnly stops after the first step where the store decides in steps (Redis).
      const parked = await store.observe(burst('prod-eu', 3), W, { ...policy, parkOnly: true });
      expect(parked.map((o) => o.isNew)).toEqual([true, true, true]);
      const swept = await store.sweepStorm(0);
      expect(await store.sweepStorm(0)).toEqual({ alerted: 0, heldBack: 0 });
      expect(count(parked, 'alerted') + swept.alerted).toBe(1);
      expect(count(parked, 'heldBack') + swept.heldBack).toBe(2);
      expect((await alerts()).filter((a) => a.rule !== STORM_RULE)).toHaveLength(1);
      await summariseUntil(1);
      expect((await summaries()).map((s) => s.held_back)).toEqual([2]);
    });

    it('counts nothing twice: concurrent sweeps and replays, a forgotten edge seen again', async () => {
      await roomInWindow(SHORT_MS, 900);
      const policy: StormPolicy = { maxPerWindow: 3, windowMs: SHORT_MS };
      const batch = burst('prod-eu', 10);
      // The same batch twice at once (a retry racing the original) and sweeps racing both.
      const [one, two] = await Promise.all([store.observe(batch, W, policy), store.observe(batch, W, policy), store.sweepStorm(0), store.sweepStorm(0)]);
      const [a, b] = [one as ObserveOutcome[], two as ObserveOutcome[]];
      expect([...a, ...b].filter((o) => o.isNew)).toHaveLength(10);
      // A forgotten edge seen again with the same appearance (same alert id): new, but decided already.
      const decided = batch.map((_, i) => (a[i].isNew ? a[i] : b[i]));
      const held = batch[decided.findIndex((o) => o.heldBack === true)];
      const alerted = batch[decided.findIndex((o) => o.alerted)];
      for (const s of [held, alerted].filter((x) => x !== undefined)) {
        await store.forgetEdge(s.key);
        expect((await store.observe([s], W, policy))[0]).toMatchObject({ isNew: true, alerted: false });
      }
      await store.sweepStorm(0);
      expect((await alerts()).filter((a) => a.rule !== STORM_RULE)).toHaveLength(3);
      await summariseUntil(1);
      expect((await summaries()).map((s) => s.held_back)).toEqual([7]);
    });

    it('a held-back decision that lands after its window was summarised counts in a later window, never lost', async () => {
      await roomInWindow(SHORT_MS, 900);
      const policy: StormPolicy = { maxPerWindow: 1, windowMs: SHORT_MS };
      await store.observe(burst('prod-eu', 2, 'on-time'), W, policy); // one alert, one held back
      await store.observe(burst('prod-eu', 1, 'late'), W, { ...policy, parkOnly: true });
      await summariseUntil(1);
      await store.sweepStorm(0); // Redis: decided now, after the summary; others decided it at once
      let all = await summaries();
      for (let i = 0; all.reduce((n, s) => n + (s.held_back ?? 0), 0) < 2 && i < 400; i++) {
        await store.summariseStorms(0, build);
        all = await summaries();
        await sleep(25);
      }
      expect(all.reduce((n, s) => n + (s.held_back ?? 0), 0)).toBe(2);
      expect(new Set(all.map((s) => s.window_start)).size).toBe(all.length);
    });

    it('prune drops windows that ended before the cut, summarised or not', async () => {
      await roomInWindow(SHORT_MS, 900);
      await store.observe(burst('prod-eu', 3), W, { maxPerWindow: 1, windowMs: SHORT_MS });
      await sleep(SHORT_MS + 50);
      await store.prune(Date.now());
      expect(await store.summariseStorms(0, build)).toEqual([]);
    });
  });
};
