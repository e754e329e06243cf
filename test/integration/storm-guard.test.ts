/**
 * Storm guard end to end, on the embedded stores: a burst of new edges in one cluster raises at
 * most the cap of alerts; the rest enter the baseline and, once the window has ended, one summary
 * alert from the store, delivered like any other, says how many and where to list them.
 * (Replicas on Redis and a SIGKILL: storm-replicas.test.ts.)
 */
import { status } from '@grpc/grpc-js';
import { join } from 'node:path';
import type { Alert } from '../../src/core/alert';
import { MemoryStore } from '../../src/store/memory/memory-store';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { reducerRequest, type FixtureEdge } from '../helpers/otlp-fixtures';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { closeGrpcClients, getJson, grpcExport, httpRequest, startService, tempDir, type Running } from '../helpers/service-harness';

jest.setTimeout(30_000);

/**
 * The real one-minute window, on a clock the test moves: the store's (which places edges in
 * windows), the detector's and the guard's. A wall-clock minute boundary can't split the burst.
 */
const WINDOW_MS = 60_000;
const STORM = 'kubernetes_newly_seen_edge_storm';
/** The guard summarises a window this long after it ended (StormGuard's default grace). */
const GRACE_MS = 5000;

const burst = (n: number, prefix: string): FixtureEdge[] => Array.from({ length: n }, (_, i) => ({ src: `${prefix}-${i}`, dst: 'db' }));

describe.each(['memory', 'sqlite'])('storm guard end to end (%s store)', (kind) => {
  let hook: WebhookReceiver;
  let ew: Running;
  let tmp: { dir: string; cleanup: () => void };

  // 10 s into a window that starts at the next wall-clock minute: near real time, never late.
  let clockMs = Math.ceil(Date.now() / WINDOW_MS) * WINDOW_MS + 10_000;
  const clock = (): number => clockMs;

  beforeAll(async () => {
    tmp = tempDir('ew-storm-');
    hook = await WebhookReceiver.start();
    const path = join(tmp.dir, 'edgewatch.db');
    const store = kind === 'memory' ? new MemoryStore({ now: clock }) : new SqliteStore(path, { now: clock });
    ew = await startService({ store: kind === 'memory' ? 'memory:' : `sqlite:${path}`, webhookUrls: [hook.url()], stormMaxAlertsPerMinute: 5 }, { store, now: clock });
  });

  afterAll(async () => {
    await ew.stop();
    closeGrpcClients();
    await hook.close();
    tmp.cleanup();
  });

  async function send(cluster: string, edges: FixtureEdge[]): Promise<void> {
    const body = reducerRequest({ cluster, edges, names: ['tcp.packets'], metricsPerRequest: edges.length, timeMs: clockMs }).protobuf;
    expect((await grpcExport(ew.ports.grpc, body)).code).toBe(status.OK);
  }
  const posted = (): Alert[] => hook.requests.map((r) => r.json as Alert);

  test('a redeploy that renames 40 workloads: 5 alerts, then one summary with the count and the list URL', async () => {
    await send('prod-eu', burst(40, 'renamed'));
    await send('prod-us', burst(2, 'quiet'));
    await hook.waitUntil((rs) => rs.length >= 7, 5000, '7 alerts');
    expect(posted().filter((a) => a.cluster === 'prod-eu')).toHaveLength(5);
    expect(posted().filter((a) => a.cluster === 'prod-us')).toHaveLength(2);

    // Nothing is summarised while the window runs; the summary comes from the store once it
    // has ended (plus the grace): end it on the clock.
    expect(posted().filter((a) => a.rule === STORM)).toEqual([]);
    clockMs += WINDOW_MS + GRACE_MS;
    await hook.waitUntil((rs) => rs.some((r) => (r.json as Alert).rule === STORM), 15_000, 'summary');
    const summaries = posted().filter((a) => a.rule === STORM);
    expect(summaries).toHaveLength(1);
    const s = summaries[0];
    expect(s).toMatchObject({ cluster: 'prod-eu', protocol: 'tcp', held_back: 35, held_back_by_protocol: { tcp: 35 }, previous_seen: null });
    expect(s.title).toBe('Kubernetes newly seen edge storm in kubernetes cluster prod-eu');
    expect(Date.parse(s.window_end ?? '') - Date.parse(s.window_start ?? '')).toBe(WINDOW_MS);
    expect(s.list_url).toBe(`/api/v1/edges?cluster=prod-eu&since=${encodeURIComponent(s.window_start ?? '')}`);
    const req = hook.requests.find((r) => (r.json as Alert).id === s.id);
    expect(req?.headers['x-edgewatch-alert-id']).toBe(s.id);

    // The list URL lists every edge of the burst: the held-back ones are in the baseline.
    const { status: code, json } = await getJson<{ edges: Array<{ source: string }> }>(ew.ports.admin, `${s.list_url}&limit=1000`);
    expect(code).toBe(200);
    const listed = new Set(json.edges.map((e) => e.source));
    for (const e of burst(40, 'renamed')) expect(listed.has(e.src)).toBe(true);

    // Held back means known: the same edges never alert later.
    await send('prod-eu', burst(40, 'renamed'));
    expect(posted().filter((a) => a.cluster === 'prod-eu' && a.rule !== STORM)).toHaveLength(5);
    const metrics = (await httpRequest(ew.ports.admin, 'GET', '/metrics')).body.toString();
    expect(metrics).toContain('edgewatch_alerts_suppressed_total{reason="storm"} 35');
  });
});
