import type { AlertDraft } from '../../src/core/alert';
import { alertId, type EdgeKey } from '../../src/core/edge';
import type { AlertTriage, StoredRule } from '../../src/core/triage';
import type { BaselineStore, Sighting } from '../../src/store/store';
import type { FeatureSuite } from './feature-suites';
import { alertDraft, key, sighting, SINKS, T0, W } from './store-conformance';

const HOUR = 3_600_000;

const ack = (by: string, over: Partial<AlertTriage> = {}): AlertTriage => ({ state: 'acknowledged', by, atMs: T0 + HOUR, comment: null, expiresMs: null, ruleId: null, ...over });

/** A sighting whose draft carries a context of `kind` (as the detector builds new-edge alerts). */
function withKind(k: EdgeKey, firstMs: number, kind: string): Sighting {
  const draft = { ...alertDraft(k, firstMs), context: { kind, source_first_seen: null, dest_first_seen: null, source_peers: 0, dest_peers: 0, cross_namespace: false } };
  return { key: k, firstMs, lastMs: firstMs, alert: draft as AlertDraft };
}

function rule(id: string, createdMs: number, over: Partial<StoredRule> = {}): StoredRule {
  return {
    id,
    spec: { name: id, cluster: 'prod-eu', protocol: 'tcp', source: 'frontend', dest: 'payments', comment: 'rollout — ünïcode' },
    alertId: 'a'.repeat(32),
    by: 'alice',
    createdMs,
    comment: 'rollout — ünïcode',
    expiresMs: null,
    ...over,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Alert states and stored rules (issue 12 item 3): shared by replicas, pruned with their alert. */
export const triageConformance: FeatureSuite = (store) => {
  describe('alert lifecycle: states', () => {
    const observe = async (...s: Sighting[]): Promise<void> => void (await store().observe(s, W));

    it('a new alert has no triage (open), by listAlerts and getAlert; an unknown id is null', async () => {
      const k = key('frontend', 'payments');
      await observe(sighting(k, T0));
      const id = alertId(k, T0);
      const [listed] = await store().listAlerts(10);
      expect(listed.triage).toBeNull();
      const got = await store().getAlert(id);
      expect(got).toMatchObject({ alert: { id, previous_seen: null }, triage: null });
      expect(got?.deliveries.map((d) => d.sink).sort()).toEqual([...SINKS].sort());
      expect(got?.createdMs).toBe(listed.createdMs);
      expect(await store().getAlert('no-such-alert')).toBeNull();
    });

    it('setAlertState records the change and returns what it replaced; an unknown alert is null and changes nothing', async () => {
      const k = key('frontend', 'payments');
      await observe(sighting(k, T0));
      const id = alertId(k, T0);
      const first = ack('alice', { comment: 'on it' });
      expect(await store().setAlertState(id, first)).toEqual({ before: null, after: first });
      const second: AlertTriage = { state: 'expected', by: 'bob', atMs: T0 + 2 * HOUR, comment: null, expiresMs: T0 + 9 * HOUR, ruleId: 'expect-x' };
      expect(await store().setAlertState(id, second)).toEqual({ before: first, after: second });
      expect((await store().getAlert(id))?.triage).toEqual(second);
      expect((await store().listAlerts(10))[0].triage).toEqual(second);
      expect(await store().setAlertState('no-such-alert', first)).toBeNull();
      expect(await store().getAlert('no-such-alert')).toBeNull();
    });

    it('listAlerts filters by effective state (a lapsed triage is open), cluster, kind and since; newest first, limit after filters', async () => {
      const [a, b, c, d] = [key('a', 'x'), key('b', 'x'), key('c', 'x', { scope: 'prod-us' }), key('d', 'x')];
      await observe(withKind(a, T0, 'new_path'));
      await sleep(3);
      await observe(withKind(b, T0, 'new_workload'));
      await sleep(3);
      await observe(withKind(c, T0, 'new_path'));
      await sleep(3);
      await observe(sighting(d, T0)); // no context
      const [ia, ib, ic, id] = [a, b, c, d].map((k) => alertId(k, T0));
      const now = Date.now();
      await store().setAlertState(ia, ack('alice'));
      await store().setAlertState(ib, ack('bob', { state: 'expected', expiresMs: now + HOUR }));
      await store().setAlertState(ic, ack('carol', { expiresMs: now - 1 })); // lapsed: open again
      const ids = async (q: Parameters<BaselineStore['listAlerts']>[1], limit = 10): Promise<string[]> => (await store().listAlerts(limit, q)).map((s) => s.alert.id);

      expect(await ids(undefined)).toEqual([id, ic, ib, ia]);
      expect(await ids({})).toEqual([id, ic, ib, ia]);
      expect(await ids({ states: ['open'], nowMs: now })).toEqual([id, ic]);
      expect(await ids({ states: ['acknowledged'], nowMs: now })).toEqual([ia]);
      expect(await ids({ states: ['expected'], nowMs: now })).toEqual([ib]);
      expect(await ids({ states: ['expected'], nowMs: now + 2 * HOUR })).toEqual([]); // its expiry passed
      expect(await ids({ states: ['acknowledged', 'expected'], nowMs: now })).toEqual([ib, ia]);
      expect(await ids({ cluster: 'prod-us' })).toEqual([ic]);
      expect(await ids({ kind: 'new_path' })).toEqual([ic, ia]);
      expect(await ids({ kind: 'new_path', cluster: 'prod-eu' })).toEqual([ia]);
      expect(await ids({ states: ['open'], nowMs: now }, 1)).toEqual([id]);
      const created = (await store().listAlerts(10)).map((s) => s.createdMs);
      expect(await ids({ sinceMs: created[1] })).toEqual([id, ic]);
      expect(await ids({ sinceMs: Date.now() + HOUR })).toEqual([]);
      // the stored record keeps what was set; only the reading of it lapses
      expect((await store().getAlert(ic))?.triage).toMatchObject({ state: 'acknowledged', by: 'carol' });
    });

    it('a state lives as long as its alert: prune drops both, and nothing can be set on a pruned alert', async () => {
      const [a, b] = [key('a', 'x'), key('b', 'x')];
      await observe(sighting(a, T0), sighting(b, T0));
      const [ia, ib] = [a, b].map((k) => alertId(k, T0));
      await store().setAlertState(ia, ack('alice'));
      await store().setAlertState(ib, ack('bob'));
      for (const sink of SINKS) await store().ackAlerts(sink, [ia]); // b stays pending: kept
      await store().prune(Date.now() + 60_000);
      expect(await store().getAlert(ia)).toBeNull();
      expect(await store().setAlertState(ia, ack('alice'))).toBeNull();
      expect((await store().getAlert(ib))?.triage).toMatchObject({ by: 'bob' });
      expect((await store().listAlerts(10, { states: ['acknowledged'] })).map((s) => s.alert.id)).toEqual([ib]);
    });
  });

  describe('alert lifecycle: stored rules', () => {
    it('putRule, listRules (oldest first), deleteRule; the version changes with every change and only then', async () => {
      const v0 = await store().rulesVersion();
      expect(await store().listRules()).toEqual([]);
      expect(await store().rulesVersion()).toBe(v0);
      const r2 = rule('expect-2', T0 + 2000, { expiresMs: T0 + 5 * HOUR, spec: { name: 'expect-2', source: 'batch', expires: new Date(T0 + 5 * HOUR).toISOString() } });
      const r1 = rule('expect-1', T0 + 1000);
      await store().putRule(r2);
      const v1 = await store().rulesVersion();
      expect(v1).not.toBe(v0);
      await store().putRule(r1);
      const v2 = await store().rulesVersion();
      expect([v0, v1, v2].every((v, i, all) => all.indexOf(v) === i)).toBe(true);
      expect(await store().listRules()).toEqual([r1, r2]);

      const replaced = rule('expect-1', T0 + 3000, { by: 'bob', comment: null, alertId: null });
      await store().putRule(replaced); // same id: replaces
      const v3 = await store().rulesVersion();
      expect(v3).not.toBe(v2);
      expect(await store().listRules()).toEqual([r2, replaced]);

      expect(await store().deleteRule('expect-2')).toBe(true);
      const v4 = await store().rulesVersion();
      expect(v4).not.toBe(v3);
      expect(await store().deleteRule('expect-2')).toBe(false);
      expect(await store().rulesVersion()).toBe(v4); // nothing deleted: no change
      expect(await store().listRules()).toEqual([replaced]);
    });

    it('rules are independent of alerts: prune keeps them', async () => {
      await store().putRule(rule('expect-1', T0));
      await store().observe([sighting(key('a', 'x'), T0)], W);
      await store().prune(Date.now() + 60_000);
      expect((await store().listRules()).map((r) => r.id)).toEqual(['expect-1']);
    });
  });
};
