import { trafficKeyId, type Moments } from '../../src/core/traffic';
import type { TrafficBaseline, TrafficDelta } from '../../src/store/store';
import type { FeatureSuite } from './feature-suites';

const HOUR = 3_600_000;
/** A clock hour three days back, like the other suites' T0 (not imported: the suites load before it is set). */
const H = Math.floor(Date.now() / HOUR) - 72;

const tk = (a: string, b = 'db', scope = 'prod-eu'): string => trafficKeyId({ detection: 'edge_traffic', scope, a, b });
const m = (n: number, sum: number, sumSq: number): Moments => ({ n, sum, sumSq });
const d = (key: string, hour: number, metric: string, moments: Moments): TrafficDelta => ({ key, hour, metric, moments });
const scaled = (x: Moments, w: number): Moments => m(x.n * w, x.sum * w, x.sumSq * w);
const plus = (...xs: Moments[]): Moments => xs.reduce((a, b) => m(a.n + b.n, a.sum + b.sum, a.sumSq + b.sumSq), m(0, 0, 0));

/** Values whose sums and halvings are exact doubles, so weights can be checked with toEqual. */
const A = m(4, 10, 30);
const B = m(2, 6.5, 21.25);
const C = m(8, 1.5, 0.75);

/**
 * Traffic baselines (README "Anomalous traffic", BaselineStore.addTrafficMoments and
 * readTrafficBaselines): moments added per (key, hour, metric), read as decayed sums over the
 * hours before the read hour, folded by the store into one base per key.
 */
export const trafficMomentsConformance: FeatureSuite = (current) => {
  describe('traffic baselines (addTrafficMoments, readTrafficBaselines)', () => {
    const read = (keys: string[], hour: number, decay = 0.5): Promise<TrafficBaseline[]> => current().readTrafficBaselines(keys, hour, decay);

    it('adds moments: two calls are one, deltas of one call add up, metrics stay apart', async () => {
      const one = tk('one-call');
      const two = tk('two-calls');
      await current().addTrafficMoments([d(one, H - 1, 'tcp.bytes', A), d(one, H - 1, 'tcp.bytes', B), d(one, H - 1, 'tcp.packets', C)]);
      await current().addTrafficMoments([d(two, H - 1, 'tcp.bytes', A)]);
      await current().addTrafficMoments([d(two, H - 1, 'tcp.packets', C), d(two, H - 1, 'tcp.bytes', B)]);
      await current().addTrafficMoments([]);
      const [a, b] = await read([one, two], H);
      expect(a).toEqual({ key: one, metrics: { 'tcp.bytes': plus(A, B), 'tcp.packets': C } });
      expect(b).toEqual({ key: two, metrics: a.metrics });
    });

    it('concurrent adds lose nothing', async () => {
      const k = tk('busy');
      await Promise.all(Array.from({ length: 20 }, (_, i) => current().addTrafficMoments([d(k, H - 1 - (i % 2), 'udp.bytes', A)])));
      expect(await read([k], H)).toEqual([{ key: k, metrics: { 'udp.bytes': plus(scaled(A, 10), scaled(A, 5)) } }]);
    });

    it('weights hour h by decay^(H − 1 − h) exactly, and leaves hours ≥ H out', async () => {
      const k = tk('weights');
      await current().addTrafficMoments([d(k, H - 3, 'tcp.bytes', A), d(k, H - 2, 'tcp.bytes', B), d(k, H - 1, 'tcp.bytes', C), d(k, H, 'tcp.bytes', A), d(k, H + 1, 'tcp.bytes', B)]);
      expect(await read([k], H)).toEqual([{ key: k, metrics: { 'tcp.bytes': plus(C, scaled(B, 0.5), scaled(A, 0.25)) } }]);
      // The hours left out were kept: at H + 2 the base decays by two hours and they join it.
      const base = plus(C, scaled(B, 0.5), scaled(A, 0.25));
      expect(await read([k], H + 2)).toEqual([{ key: k, metrics: { 'tcp.bytes': plus(scaled(base, 0.25), scaled(A, 0.5), B) } }]);
    });

    it('reading twice at one hour gives the same; an earlier hour after a later one changes nothing', async () => {
      const k = tk('idempotent');
      await current().addTrafficMoments([d(k, H - 2, 'tcp.bytes', A), d(k, H - 1, 'tcp.bytes', B), d(k, H, 'tcp.bytes', C)]);
      const first = await read([k], H);
      expect(first).toEqual([{ key: k, metrics: { 'tcp.bytes': plus(B, scaled(A, 0.5)) } }]);
      expect(await read([k], H)).toEqual(first);
      // The contract lets a read earlier than one answered include hours up to the later one's.
      expect(await read([k], H - 1)).toEqual(first);
      expect(await read([k], H + 1)).toEqual([{ key: k, metrics: { 'tcp.bytes': plus(scaled(first[0].metrics['tcp.bytes'], 0.5), C) } }]);
    });

    it('a late write for an hour already folded joins the base with its weight', async () => {
      const k = tk('late');
      await current().addTrafficMoments([d(k, H - 1, 'tcp.bytes', A)]);
      expect(await read([k], H)).toEqual([{ key: k, metrics: { 'tcp.bytes': A } }]);
      // Another replica's points of H − 3 (weight 1/4 at H) and of a new metric at H − 1.
      await current().addTrafficMoments([d(k, H - 3, 'tcp.bytes', B), d(k, H - 1, 'udp.bytes', C)]);
      expect(await read([k], H)).toEqual([{ key: k, metrics: { 'tcp.bytes': plus(A, scaled(B, 0.25)), 'udp.bytes': C } }]);
      expect(await read([k], H + 1)).toEqual([{ key: k, metrics: { 'tcp.bytes': scaled(plus(A, scaled(B, 0.25)), 0.5), 'udp.bytes': scaled(C, 0.5) } }]);
    });

    it('is the same sum whether folded hour by hour or at once (the decay used by the service)', async () => {
      const decay = Math.exp(-1 / 360);
      const stepped = tk('stepped');
      const once = tk('once');
      const hours = Array.from({ length: 30 }, (_, i) => H - 40 + i);
      const values = hours.map((_, i) => m(120 + i, 1000.25 * (i + 1), 4e6 + i * 1e5));
      for (let i = 0; i < hours.length; i++) {
        await current().addTrafficMoments([d(stepped, hours[i], 'tcp.rtt.average', values[i]), d(once, hours[i], 'tcp.rtt.average', values[i])]);
        await current().readTrafficBaselines([stepped], hours[i] + 1, decay);
      }
      const [a, b] = await current().readTrafficBaselines([stepped, once], H, decay);
      const expected = values.reduce((acc, v, i) => plus(acc, scaled(v, decay ** (H - 1 - hours[i]))), m(0, 0, 0));
      for (const got of [a, b]) {
        const x = got.metrics['tcp.rtt.average'];
        expect(x.n / expected.n).toBeCloseTo(1, 12);
        expect(x.sum / expected.sum).toBeCloseTo(1, 12);
        expect(x.sumSq / expected.sumSq).toBeCloseTo(1, 12);
      }
    });

    it('leaves out keys with nothing before the hour; answers in the order of the keys', async () => {
      const only = tk('only-now');
      const keys = Array.from({ length: 12 }, (_, i) => tk(`k-${i}`));
      await current().addTrafficMoments([d(only, H, 'tcp.bytes', A), ...keys.filter((_, i) => i % 3 !== 0).map((k, i) => d(k, H - 1, 'tcp.bytes', m(i + 1, 1, 1)))]);
      expect(await read([only, tk('never-written')], H)).toEqual([]);
      const asked = [...keys].reverse();
      asked.splice(4, 0, only, tk('never-written'));
      const got = await read(asked, H);
      expect(got.map((b) => b.key)).toEqual(asked.filter((k) => keys.indexOf(k) % 3 !== 0 && k !== only && keys.includes(k)));
      expect(await read([only], H + 1)).toEqual([{ key: only, metrics: { 'tcp.bytes': A } }]);
      // A metric with only hours ≥ H is left out of a key that has others.
      await current().addTrafficMoments([d(keys[1], H + 1, 'udp.bytes', A)]);
      expect(Object.keys((await read([keys[1]], H + 1))[0].metrics)).toEqual(['tcp.bytes']);
    });

    it('many keys in one call (every shard, more than one script call per shard)', async () => {
      const keys = Array.from({ length: 5000 }, (_, i) => tk(`svc-${i}`, `dep-${i % 7}`));
      const deltas = keys.flatMap((k, i) => [
        d(k, H - 2, 'tcp.bytes', m(i, 2 * i, 4 * i)),
        d(k, H - 1, 'tcp.bytes', m(1, 1, 1)),
        d(k, H - 2, 'tcp.packets', m(i, i, i)),
        d(k, H - 1, 'tcp.packets', m(2, 2, 2)),
      ]);
      await current().addTrafficMoments(deltas);
      const order = keys.map((k, i) => ({ k, i })).sort((x, y) => (x.i % 13) - (y.i % 13) || x.i - y.i);
      const got = await read(order.map((o) => o.k), H);
      expect(got).toHaveLength(keys.length);
      got.forEach((b, j) => {
        const i = order[j].i;
        expect(b).toEqual({ key: order[j].k, metrics: { 'tcp.bytes': m(i / 2 + 1, i + 1, 2 * i + 1), 'tcp.packets': m(i / 2 + 2, i / 2 + 2, i / 2 + 2) } });
      });
    });

    it('prune deletes keys whose latest hour is before the cut, in slices, and keeps live ones', async () => {
      const cut = H;
      const stale = Array.from({ length: 2500 }, (_, i) => tk(`stale-${i}`));
      const pending = tk('pending-at-cut'); // a slot at the cut hour: kept
      const anchored = tk('read-at-cut'); // old slots, but read at the cut: its anchor is the cut hour, kept
      const readEarly = tk('read-before-cut'); // read at cut − 1, nothing since: pruned
      const mixed = tk('old-and-new'); // an old slot and a new one: kept whole
      await current().addTrafficMoments([
        ...stale.map((k, i) => d(k, cut - 1 - (i % 5), 'tcp.bytes', A)),
        d(pending, cut, 'tcp.bytes', A),
        d(anchored, cut - 30, 'tcp.bytes', A),
        d(readEarly, cut - 3, 'tcp.bytes', A),
        d(mixed, cut - 200, 'tcp.bytes', A),
        d(mixed, cut + 1, 'tcp.bytes', B),
      ]);
      await read([anchored], cut);
      await read([readEarly], cut - 1);
      // Edges pruned are what prune counts: traffic keys are not edges.
      expect(await current().prune(cut * HOUR)).toBe(0);
      expect(await read([...stale, readEarly], cut + 5)).toEqual([]);
      const kept = await read([pending, anchored, mixed], cut + 5);
      expect(kept.map((b) => b.key)).toEqual([pending, anchored, mixed]);
      expect(kept[0].metrics['tcp.bytes']).toEqual(scaled(A, 1 / 16));
      expect(kept[2].metrics['tcp.bytes']).toEqual(plus(scaled(A, 0.5 ** 204), scaled(B, 0.125)));
      // A new write after the prune starts the key afresh.
      await current().addTrafficMoments([d(stale[0], cut + 5, 'tcp.bytes', C)]);
      expect(await read([stale[0]], cut + 6)).toEqual([{ key: stale[0], metrics: { 'tcp.bytes': C } }]);
    });

    it('takes any bytes in key ids and metric names', async () => {
      const odd = [
        trafficKeyId({ detection: 'process_inbound', scope: 'a|b:c', a: '3:x|y', b: 'pröcess 名前 🚀' }),
        trafficKeyId({ detection: 'process_outbound', scope: '', a: '', b: '' }),
        trafficKeyId({ detection: 'edge_traffic', scope: 'nul\u0000in', a: '{ew:3}', b: 'x'.repeat(10_000) }),
        trafficKeyId({ detection: 'edge_traffic', scope: 'tab\there', a: 'new\nline', b: '"quoted" \\ back' }),
      ];
      await current().addTrafficMoments(odd.map((k, i) => d(k, H - 1, i % 2 ? 'tcp.bytes' : 'mëtric|with:odd 🚀', scaled(A, i + 1))));
      const got = await read(odd, H);
      expect(got).toEqual(odd.map((k, i) => ({ key: k, metrics: { [i % 2 ? 'tcp.bytes' : 'mëtric|with:odd 🚀']: scaled(A, i + 1) } })));
    });

    it('skips deltas with a non-finite moment; rejects a bad hour or decay', async () => {
      const k = tk('nan');
      await current().addTrafficMoments([d(k, H - 1, 'tcp.bytes', m(1, Number.NaN, 1)), d(k, H - 1, 'tcp.bytes', m(1, Infinity, 1)), d(k, H - 1, 'tcp.packets', A)]);
      expect(await read([k], H)).toEqual([{ key: k, metrics: { 'tcp.packets': A } }]);
      await expect(current().addTrafficMoments([d(k, H - 0.5, 'tcp.bytes', A)])).rejects.toThrow(RangeError);
      await expect(current().readTrafficBaselines([k], H, 0)).rejects.toThrow(RangeError);
      await expect(current().readTrafficBaselines([k], H, 1.5)).rejects.toThrow(RangeError);
    });
  });
};
