import type { Alert } from '../../../src/core/alert';
import { assess, contextPolicy, DEFAULT_CONTEXT_POLICY, kindOf, raiseSeverity } from '../../../src/detect/alert-context';
import { Detector, type DetectorOptions } from '../../../src/detect/detector';
import { compileFilterRules } from '../../../src/detect/filter-rules';
import { MemoryStore } from '../../../src/store/memory/memory-store';
import type { EdgeFacts } from '../../../src/store/store';
import { Telemetry } from '../../../src/telemetry/metrics';
import { obs, type ObsSpec } from '../../helpers/observations';

const MIN = 60_000;
const H = 60 * MIN;
const D = 24 * H;
const NOW = Date.UTC(2026, 10, 28, 10, 0, 0);
const facts = (over: Partial<EdgeFacts> = {}): EdgeFacts => ({
  sourceFirstSeenMs: NOW - 2 * H,
  destFirstSeenMs: NOW - 2 * H,
  sourcePeers: 3,
  destPeers: 2,
  otherProtocol: false,
  ...over,
});

describe('kind', () => {
  const grace = 10 * MIN;
  test.each([
    ['both ends long known, never talked', 'new_path', facts()],
    ['the pair known on the other protocol', 'new_protocol', facts({ otherProtocol: true })],
    ['the source never seen', 'new_workload', facts({ sourceFirstSeenMs: null })],
    ['the dest never seen', 'new_workload', facts({ destFirstSeenMs: null, otherProtocol: true })],
    ['the source first seen 9:59 ago (inside the grace)', 'new_workload', facts({ sourceFirstSeenMs: NOW - grace + 1 })],
    ['the dest first seen exactly the grace ago', 'new_path', facts({ destFirstSeenMs: NOW - grace })],
    ['an end first seen after the point (late data)', 'new_workload', facts({ destFirstSeenMs: NOW + MIN })],
  ] as const)('%s → %s', (_name, kind, f) => {
    expect(kindOf(f, NOW, grace)).toBe(kind);
  });
  test('grace 0: only never-seen ends make a new workload', () => {
    expect(kindOf(facts({ sourceFirstSeenMs: NOW - 1 }), NOW, 0)).toBe('new_path');
    expect(kindOf(facts({ sourceFirstSeenMs: NOW }), NOW, 0)).toBe('new_path');
  });
});

describe('severity', () => {
  test('levels are info < low < medium < high < critical; raising stops at the ends', () => {
    expect(raiseSeverity('low', 1)).toBe('medium');
    expect(raiseSeverity('high', 1)).toBe('critical');
    expect(raiseSeverity('critical', 1)).toBe('critical');
    expect(raiseSeverity('low', 3)).toBe('critical');
    expect(raiseSeverity('low', -5)).toBe('info');
    expect(raiseSeverity('medium', 0)).toBe('medium');
  });

  test('defaults per kind; cross_namespace (both namespaces known, different) raises one step', () => {
    const p = DEFAULT_CONTEXT_POLICY;
    expect(assess(facts(), obs({ t: NOW }), NOW, p).severity).toBe('high');
    expect(assess(facts({ otherProtocol: true }), obs({ t: NOW }), NOW, p).severity).toBe('medium');
    expect(assess(facts({ sourceFirstSeenMs: null }), obs({ t: NOW }), NOW, p).severity).toBe('low');
    const cross = assess(facts(), obs({ t: NOW, srcNs: 'shop', dstNs: 'billing' }), NOW, p);
    expect(cross).toMatchObject({ severity: 'critical', context: { cross_namespace: true } });
    expect(assess(facts({ sourceFirstSeenMs: null }), obs({ t: NOW, srcNs: 'ci-42', dstNs: 'shop' }), NOW, p).severity).toBe('medium');
    // An unknown namespace is not a difference.
    expect(assess(facts(), obs({ t: NOW, srcNs: '', dstNs: 'shop' }), NOW, p).context.cross_namespace).toBe(false);
  });

  test('configurable per kind and the raise', () => {
    const p = contextPolicy({ severityNewPath: 'critical', severityNewWorkload: 'info', severityCrossNamespaceRaise: 0, newWorkloadGraceMs: 0 });
    expect(p).toEqual({ newWorkloadGraceMs: 0, severities: { new_path: 'critical', new_protocol: 'medium', new_workload: 'info' }, crossNamespaceRaise: 0 });
    expect(assess(facts({ destFirstSeenMs: null }), obs({ t: NOW, srcNs: 'a', dstNs: 'b' }), NOW, p).severity).toBe('info');
    expect(contextPolicy({})).toEqual(DEFAULT_CONTEXT_POLICY);
  });

  test('the context object: ISO first-seen times or null, peers, kind', () => {
    expect(assess(facts({ destFirstSeenMs: null, destPeers: 0 }), obs({ t: NOW }), NOW, DEFAULT_CONTEXT_POLICY).context).toEqual({
      kind: 'new_workload',
      source_first_seen: new Date(NOW - 2 * H).toISOString(),
      dest_first_seen: null,
      source_peers: 3,
      dest_peers: 0,
      cross_namespace: false,
    });
  });
});

describe('detector: every new-edge alert carries severity and context, decided before the filter rules', () => {
  async function rig(over: Partial<DetectorOptions> = {}) {
    const store = new MemoryStore();
    await store.init(['test']);
    const det = new Detector(
      store,
      { baselineWindowMs: 30 * D, detectionWindowMs: H, learningPeriodMs: 0, clockSkewMs: 5 * MIN, baselineScope: 'cluster', cacheMaxEdges: 1000, now: () => NOW, ...over },
      new Telemetry(),
    );
    const send = (...specs: ObsSpec[]) => det.consume(specs.map(obs));
    const alerts = async (): Promise<Alert[]> => (await store.listAlerts(1000)).map((a) => a.alert).reverse();
    return { store, det, send, alerts };
  }

  test('a → b after both talked to others for two hours (back-filled, late): new_path, high, first-seen and peers', async () => {
    const r = await rig();
    await r.send({ t: NOW - 2 * H, src: 'a', dst: 'x' }, { t: NOW - 2 * H + MIN, src: 'y', dst: 'a' }, { t: NOW - 2 * H, src: 'b', dst: 'z' });
    expect(await r.alerts()).toHaveLength(0); // late data: baseline (and index) only
    await r.send({ t: NOW, src: 'a', dst: 'b' });
    const [alert] = await r.alerts();
    expect(alert.severity).toBe('high');
    expect(alert.context).toEqual({
      kind: 'new_path',
      source_first_seen: new Date(NOW - 2 * H).toISOString(),
      dest_first_seen: new Date(NOW - 2 * H).toISOString(),
      source_peers: 2,
      dest_peers: 1,
      cross_namespace: false,
    });
  });

  test('a known edge costs no index call (cache hit); a new one exactly one per batch', async () => {
    const r = await rig();
    let calls = 0;
    const index = r.store.indexEdges.bind(r.store);
    r.store.indexEdges = (s) => {
      calls++;
      return index(s);
    };
    await r.send({ t: NOW - MIN, src: 'a', dst: 'b' }, { t: NOW - MIN, src: 'a', dst: 'c' });
    expect(calls).toBe(1);
    await r.send({ t: NOW, src: 'a', dst: 'b' }, { t: NOW, src: 'a', dst: 'c' });
    expect(calls).toBe(1);
  });

  test('filter rules match kind, severity and cross_namespace: one line mutes rollouts in ci-* namespaces', async () => {
    const r = await rig();
    const rules = compileFilterRules('- {kind: new_workload, source_namespace: "ci-*"}\n- {severity: info}\n- {cross_namespace: true, dest: "metrics"}');
    const seen: string[] = [];
    r.det.setFilter((o, assessed) => rules.match(o, NOW, assessed) !== null);
    r.det.onSuppressed((reason, o, assessed) => seen.push(`${reason}:${o.source}:${assessed?.context.kind ?? '-'}`));
    await r.send({ t: NOW, src: 'runner-1', dst: 'registry', srcNs: 'ci-42', dstNs: 'infra' }); // new workload in ci: muted
    await r.send({ t: NOW, src: 'frontend', dst: 'payments', srcNs: 'shop', dstNs: 'shop' }); // new workload elsewhere: alerts
    await r.send({ t: NOW, src: 'exporter', dst: 'metrics', srcNs: 'shop', dstNs: 'mon' }); // cross-namespace to metrics: muted
    expect((await r.alerts()).map((a) => `${a.source.workload}:${a.context?.kind}:${a.severity}`)).toEqual(['frontend:new_workload:low']);
    expect(seen).toEqual(['filtered:runner-1:new_workload', 'filtered:exporter:new_workload']);
  });

  test('a workload first seen now with several new peers: every alert is new_workload (and the edges are indexed)', async () => {
    const r = await rig();
    await r.send({ t: NOW - 2 * H, src: 'p0', dst: 'q' }, { t: NOW - 2 * H, src: 'p1', dst: 'q' }, { t: NOW - 2 * H, src: 'p2', dst: 'q' });
    await r.send({ t: NOW, src: 'fresh', dst: 'p0' }, { t: NOW, src: 'fresh', dst: 'p1' });
    await r.send({ t: NOW + 30_000, src: 'fresh', dst: 'p2' });
    const got = await r.alerts();
    expect(got.map((a) => [a.dest.workload, a.context?.kind, a.context?.source_peers, a.context?.source_first_seen])).toEqual([
      ['p0', 'new_workload', 0, null],
      ['p1', 'new_workload', 1, new Date(NOW).toISOString()],
      ['p2', 'new_workload', 2, new Date(NOW).toISOString()],
    ]);
  });
});
