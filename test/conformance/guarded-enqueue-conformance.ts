import { STORM_RULE, type Alert, type AlertDraft } from '../../src/core/alert';
import type { Protocol } from '../../src/core/observation';
import { buildStormSummary } from '../../src/detect/storm-summary';
import type { StormPolicy, StormWindow } from '../../src/store/storm';
import type { BaselineStore, GuardedEnqueue } from '../../src/store/store';
import { LONG_MS, LONG_ROOM_MS, LONG_ROOM_WAIT_MS, roomInWindow, SHORT_MS, sleep } from '../helpers/storm-window';
import type { FeatureSuite } from './feature-suites';
import { alertDraft, key, sighting, SINKS, T0, W } from './store-conformance';

const build = (w: StormWindow) => buildStormSummary(w, { baselineWindowMs: W, detectionWindowMs: 3_600_000, nowMs: Date.now() });

/** An alert of no edge (as the traffic detections raise them), of `cluster`, counted under `protocol`. */
function guarded(name: string, cluster = 'prod-eu', protocol: Protocol = 'tcp'): AlertDraft {
  return { ...alertDraft(key(name, 'db', { scope: cluster, protocol }), T0), id: `guarded|${cluster}|${protocol}|${name}` };
}

/** Sightings of new edges of `cluster` with alerts. */
const burst = (cluster: string, n: number, prefix: string) => Array.from({ length: n }, (_, i) => sighting(key(`${prefix}-${i}`, 'db', { scope: cluster }), T0));

const tally = (results: GuardedEnqueue[], what: GuardedEnqueue): number => results.filter((r) => r === what).length;

/**
 * enqueueGuarded: enqueueAlert through the storm guard, in the same per-cluster window, cap and
 * summary as observe's new-edge alerts, decided once per alert id.
 */
export const guardedEnqueueConformance: FeatureSuite = (current) => {
  describe('guarded enqueue (enqueueGuarded)', () => {
    let store: BaselineStore;
    beforeEach(() => {
      store = current();
    });
    // Each test starts with room left in the LONG_MS window (a cap test must not cross its end);
    // waited for here, so the wait does not count against the test's own timeout.
    beforeEach(() => roomInWindow(LONG_MS, LONG_ROOM_MS), LONG_ROOM_WAIT_MS);

    const alerts = async (): Promise<Alert[]> => (await store.listAlerts(10_000)).map((a) => a.alert);
    const summaries = async (): Promise<Alert[]> => (await alerts()).filter((a) => a.rule === STORM_RULE);
    const summariseUntil = async (n: number): Promise<void> => {
      let got = 0;
      for (let i = 0; got < n && i < 400; i++) {
        got += (await store.summariseStorms(0, build)).length;
        if (got < n) await sleep(25);
      }
      expect(got).toBe(n);
      expect(await store.summariseStorms(0, build)).toEqual([]);
    };

    it('under the cap: enqueued with a delivery for every sink; the same id again is exists', async () => {
      const policy: StormPolicy = { maxPerWindow: 3, windowMs: LONG_MS };
      const d = guarded('a');
      expect(await store.enqueueGuarded(d, policy)).toBe('enqueued');
      expect(await store.enqueueGuarded(d, policy)).toBe('exists');
      for (const sink of SINKS) {
        const claimed = await store.claimAlerts(sink, 'c1', 100, 60_000);
        expect(claimed).toMatchObject([{ alertId: d.id, sink, draft: d, previousSeenMs: null, attempts: 0 }]);
      }
      const stored = await store.getAlert(d.id);
      expect(stored?.alert).toEqual({ ...d, previous_seen: null });
      expect(stored?.deliveries.map((x) => x.sink).sort()).toEqual([...SINKS].sort());
      expect(await store.listAlerts(10)).toHaveLength(1);
    });

    it('an id enqueueAlert enqueued is exists, and counts nothing', async () => {
      const policy: StormPolicy = { maxPerWindow: 1, windowMs: LONG_MS };
      const d = guarded('plain');
      expect(await store.enqueueAlert(d)).toBe(true);
      expect(await store.enqueueGuarded(d, policy)).toBe('exists');
      expect(await store.enqueueGuarded(guarded('next'), policy)).toBe('enqueued'); // the cap of 1 was not spent
      expect(await store.enqueueAlert(guarded('next'))).toBe(false);
    });

    it('shares the counter with new edges: observe and enqueueGuarded spend one cap per cluster and window', async () => {
      const policy: StormPolicy = { maxPerWindow: 3, windowMs: LONG_MS };
      const edges = await store.observe(burst('prod-eu', 2, 'e'), W, policy);
      expect(edges.map((o) => o.alerted)).toEqual([true, true]);
      expect(await store.enqueueGuarded(guarded('a'), policy)).toBe('enqueued');
      expect(await store.enqueueGuarded(guarded('b'), policy)).toBe('held');
      expect((await store.observe(burst('prod-eu', 1, 'late'), W, policy))[0]).toMatchObject({ isNew: true, alerted: false, heldBack: true });
      expect(await store.enqueueGuarded(guarded('a', 'prod-us'), policy)).toBe('enqueued'); // another cluster, its own cap
      const ids = (await alerts()).map((a) => a.id);
      expect(ids).toHaveLength(4);
      expect(ids).not.toContain(guarded('b').id);
      // Held back is decided: the same id again is exists, not counted again.
      expect(await store.enqueueGuarded(guarded('b'), policy)).toBe('exists');
    });

    it('past the cap held back, counted under its protocol in the same summary as held-back new edges', async () => {
      await roomInWindow(SHORT_MS, 900);
      const policy: StormPolicy = { maxPerWindow: 1, windowMs: SHORT_MS };
      const edges = await store.observe(burst('prod-eu', 2, 'e'), W, policy);
      expect(edges.filter((o) => o.heldBack === true)).toHaveLength(1);
      expect(await store.enqueueGuarded(guarded('u', 'prod-eu', 'udp'), policy)).toBe('held');
      expect(await store.enqueueGuarded(guarded('t', 'prod-eu', 'tcp'), policy)).toBe('held');
      await summariseUntil(1);
      const [s] = await summaries();
      expect(s).toMatchObject({ cluster: 'prod-eu', held_back: 3, held_back_by_protocol: { tcp: 2, udp: 1 } });
      expect((await alerts()).filter((a) => a.rule !== STORM_RULE)).toHaveLength(1);
    });

    it('concurrent calls: one decision per id, the cap exact', async () => {
      const policy: StormPolicy = { maxPerWindow: 2, windowMs: LONG_MS };
      const same = await Promise.all(Array.from({ length: 6 }, () => store.enqueueGuarded(guarded('one'), policy)));
      expect([tally(same, 'enqueued'), tally(same, 'exists')]).toEqual([1, 5]);
      const many = await Promise.all(Array.from({ length: 6 }, (_, i) => store.enqueueGuarded(guarded(`m${i}`), policy)));
      expect([tally(many, 'enqueued'), tally(many, 'held')]).toEqual([1, 5]);
      for (const sink of SINKS) expect(await store.claimAlerts(sink, 'c1', 100, 60_000)).toHaveLength(2);
    });

    it('an interrupted decision (parked, then a crash) is finished by the sweeper, once', async () => {
      await roomInWindow(SHORT_MS, 900);
      const policy: StormPolicy = { maxPerWindow: 1, windowMs: SHORT_MS };
      const drafts = ['p0', 'p1', 'p2'].map((n) => guarded(n));
      // parkOnly stops after the first step where the store decides in steps (Redis): 'held', not enqueued by the call.
      const results: GuardedEnqueue[] = [];
      for (const d of drafts) results.push(await store.enqueueGuarded(d, { ...policy, parkOnly: true }));
      expect(tally(results, 'exists')).toBe(0);
      const swept = await store.sweepStorm(0);
      expect(await store.sweepStorm(0)).toEqual({ alerted: 0, heldBack: 0 });
      expect(tally(results, 'enqueued') + swept.alerted).toBe(1);
      expect((await alerts()).filter((a) => a.rule !== STORM_RULE)).toHaveLength(1);
      for (const d of drafts) expect(await store.enqueueGuarded(d, policy)).toBe('exists');
      await summariseUntil(1);
      expect((await summaries()).map((s) => s.held_back)).toEqual([2]);
    });

    it('a draft without a protocol is refused', async () => {
      await expect(store.enqueueGuarded({ ...guarded('x'), protocol: null }, { maxPerWindow: 1, windowMs: LONG_MS })).rejects.toThrow(TypeError);
      expect(await store.listAlerts(10)).toEqual([]);
    });
  });
};
