/**
 * Storm guard end to end: a burst of new edges in one cluster raises at most the cap of alerts;
 * the rest enter the baseline and one summary alert, delivered like any other, says how many
 * and where to list them.
 */
import { status } from '@grpc/grpc-js';
import type { Alert } from '../../src/core/alert';
import { reducerRequest, type FixtureEdge } from '../helpers/otlp-fixtures';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { aligned, closeGrpcClients, getJson, grpcExport, httpRequest, startService, type Running } from '../helpers/service-harness';

let hook: WebhookReceiver;
let ew: Running;

beforeAll(async () => {
  hook = await WebhookReceiver.start();
  ew = await startService({ store: 'memory:', webhookUrls: [hook.url()], stormMaxAlertsPerMinute: 5 });
});

afterAll(async () => {
  await ew.stop();
  closeGrpcClients();
  await hook.close();
});

async function send(cluster: string, edges: FixtureEdge[]): Promise<void> {
  const body = reducerRequest({ cluster, edges, names: ['tcp.packets'], metricsPerRequest: edges.length, timeMs: aligned(Date.now()) }).protobuf;
  expect((await grpcExport(ew.ports.grpc, body)).code).toBe(status.OK);
}
const burst = (n: number, prefix: string): FixtureEdge[] => Array.from({ length: n }, (_, i) => ({ src: `${prefix}-${i}`, dst: 'db' }));
const posted = (): Alert[] => hook.requests.map((r) => r.json as Alert);

test('a redeploy that renames 40 workloads: 5 alerts, then one summary with the count and the list URL', async () => {
  await send('prod-eu', burst(40, 'renamed'));
  await send('prod-us', burst(2, 'quiet'));
  await hook.waitUntil((rs) => rs.length >= 7, 5000, '7 alerts');
  expect(posted().filter((a) => a.cluster === 'prod-eu')).toHaveLength(5);
  expect(posted().filter((a) => a.cluster === 'prod-us')).toHaveLength(2);
  expect(ew.svc.guards.storm?.heldBackNow('prod-eu')).toBe(35);

  // The summary is made when the window ends (or at shutdown); flush stands in for both here.
  await ew.svc.guards.storm?.flush();
  await hook.waitUntil((rs) => rs.some((r) => (r.json as Alert).rule === 'kubernetes_newly_seen_edge_storm'), 5000, 'summary');
  const summaries = posted().filter((a) => a.rule === 'kubernetes_newly_seen_edge_storm');
  expect(summaries).toHaveLength(1);
  const s = summaries[0];
  expect(s).toMatchObject({ cluster: 'prod-eu', protocol: 'tcp', held_back: 35, held_back_by_protocol: { tcp: 35 }, previous_seen: null });
  expect(s.title).toBe('Kubernetes newly seen edge storm in kubernetes cluster prod-eu');
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
  expect(posted().filter((a) => a.cluster === 'prod-eu' && a.rule !== 'kubernetes_newly_seen_edge_storm')).toHaveLength(5);
  const metrics = (await httpRequest(ew.ports.admin, 'GET', '/metrics')).body.toString();
  expect(metrics).toContain('edgewatch_alerts_suppressed_total{reason="storm"} 35');
});
