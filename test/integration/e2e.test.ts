/**
 * End to end: the real service on SQLite, driven by reducer-shaped requests over gRPC and HTTP
 * and by the real OpenTelemetry exporters, alerting a real HTTP webhook receiver.
 */
import { status } from '@grpc/grpc-js';
import { createHmac } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { reducerRequest, fixtureEdges, type FixtureEdge } from '../helpers/otlp-fixtures';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { aligned, closeGrpcClients, getJson, grpcExport, httpRequest, startService, tempDir, type Running } from '../helpers/service-harness';
import { exportViaGrpcExporter, exportViaHttpExporter } from '../helpers/sdk-exporters';
import type { Alert } from '../../src/core/alert';

const DAY = 86_400_000;
const SECRET = 'webhook-secret';
const CLUSTER = 'prod-eu';

let hook: WebhookReceiver;
let tmp: ReturnType<typeof tempDir>;
let ew: Running;
const sent: Buffer[] = [];

/** A reducer-shaped request (1000 Metrics, a dozen names, ~15 attributes) holding `edges` among background traffic. */
function request(edges: FixtureEdge[], opts: { names?: string[]; cluster?: string } = {}): Buffer {
  const background = fixtureEdges(20).map((e) => ({ ...e, src: `bg-${e.src}`, dst: `bg-${e.dst}`, timeMs: aligned(Date.now()) - 10 * DAY }));
  const buf = reducerRequest({ cluster: opts.cluster ?? CLUSTER, edges: [...edges, ...background], names: opts.names, timeMs: aligned(Date.now()) }).protobuf;
  sent.push(buf);
  return buf;
}

async function send(edges: FixtureEdge[], opts: { names?: string[]; cluster?: string } = {}): Promise<void> {
  const r = await grpcExport(ew.ports.grpc, request(edges, opts));
  expect(r.details).toBe('');
  expect(r.code).toBe(status.OK);
}

/** Alerts in the outbox for a source workload (final as soon as the Export call returned). */
async function outboxFor(src: string): Promise<Alert[]> {
  return (await ew.svc.store.listAlerts(10_000)).map((a) => a.alert).filter((a) => a.source.workload === src);
}

/** Resolves once no delivery is pending in the outbox. */
async function waitForSettled(): Promise<void> {
  while (Object.values((await ew.svc.store.outboxStats()).pending).some((n) => n > 0)) await new Promise((r) => setTimeout(r, 20));
}

const posted = (src: string): Alert[] => hook.requests.map((r) => r.json as Alert).filter((a) => a.source.workload === src);

beforeAll(async () => {
  hook = await WebhookReceiver.start();
  tmp = tempDir();
  ew = await startService({ store: `sqlite:${tmp.dir}/edgewatch.db`, webhookUrls: [hook.url()], webhookSecret: SECRET });
  // Background edges 10 days old: the baseline the tests' traffic rides on.
  await send([]);
});

afterAll(async () => {
  await ew.stop();
  closeGrpcClients();
  await hook.close();
  tmp.cleanup();
});

test('a new edge → one signed webhook POST in the contract format', async () => {
  const t = aligned(Date.now());
  await send([{ src: 'frontend', dst: 'payments', ns: 'shop', timeMs: t }]);
  await hook.waitUntil(() => posted('frontend').length === 1, 5000, 'alert for frontend');
  const req = hook.requests.find((r) => (r.json as Alert).source.workload === 'frontend');
  expect(req).toBeDefined();
  const alert = req?.json as Alert;
  expect(req?.method).toBe('POST');
  expect(req?.headers['content-type']).toBe('application/json');
  expect(req?.headers['x-edgewatch-alert-id']).toBe(alert.id);
  const sig = createHmac('sha256', SECRET).update(req?.rawBody ?? Buffer.alloc(0)).digest('hex');
  expect(req?.headers['x-edgewatch-signature']).toBe(`sha256=${sig}`);
  expect(alert).toMatchObject({
    rule: 'kubernetes_newly_seen_tcp_edge',
    title: `Kubernetes newly seen TCP edge in kubernetes cluster ${CLUSTER}`,
    cluster: CLUSTER,
    protocol: 'tcp',
    source: { workload: 'frontend', namespace: 'shop' },
    dest: { workload: 'payments', namespace: 'shop' },
    first_seen: new Date(t).toISOString(),
    previous_seen: null,
    risk_score: 25,
    impact: 50,
    confidence: 50,
    mitre_attack: ['T1204'],
    baseline_window_s: 2_592_000,
    detection_window_s: 3600,
  });
  expect(alert.id).toMatch(/^[0-9a-f]{32}$/);
  expect(Date.parse(alert.detected_at)).toBeGreaterThanOrEqual(t);
  expect(alert.attributes).toMatchObject({ 'k8s.cluster.name': CLUSTER, 'source.workload.name': 'frontend', 'dest.workload.name': 'payments', 'source.process.name': 'frontend-proc' });
});

test('history 10 days old → no alert', async () => {
  await send([{ src: 'h10', dst: 'db', timeMs: aligned(Date.now()) - 10 * DAY }]);
  await send([{ src: 'h10', dst: 'db' }]);
  expect(await outboxFor('h10')).toHaveLength(0);
});

test('history 31 days old → alert with previous_seen', async () => {
  const old = aligned(Date.now()) - 31 * DAY;
  await send([{ src: 'h31', dst: 'db', timeMs: old }]);
  expect(await outboxFor('h31')).toHaveLength(0); // late: baseline only
  await send([{ src: 'h31', dst: 'db' }]);
  await hook.waitUntil(() => posted('h31').length === 1, 5000, 'alert for h31');
  expect(posted('h31')[0].previous_seen).toBe(new Date(old).toISOString());
});

test('a point 2 h old → baseline only, and the edge is known afterwards', async () => {
  await send([{ src: 'late2h', dst: 'db', timeMs: aligned(Date.now()) - 2 * 3_600_000 }]);
  await send([{ src: 'late2h', dst: 'db' }]);
  expect(await outboxFor('late2h')).toHaveLength(0);
  const { json } = await getJson<{ edges: Array<{ source: string; cluster: string }> }>(ew.ports.admin, `/api/v1/edges?cluster=${CLUSTER}&limit=1000`);
  expect(json.edges.some((e) => e.source === 'late2h' && e.cluster === CLUSTER)).toBe(true);
});

test('the same new edge three times and by two concurrent requests → one alert', async () => {
  const edge = { src: 'dup', dst: 'cache' };
  for (let i = 0; i < 3; i++) await send([edge]);
  const both = await Promise.all([grpcExport(ew.ports.grpc, request([{ src: 'dup2', dst: 'cache' }])), grpcExport(ew.ports.grpc, request([{ src: 'dup2', dst: 'cache' }]))]);
  expect(both.map((r) => r.code)).toEqual([status.OK, status.OK]);
  expect(await outboxFor('dup')).toHaveLength(1);
  expect(await outboxFor('dup2')).toHaveLength(1);
  await hook.waitUntil(() => posted('dup').length === 1 && posted('dup2').length === 1, 5000, 'dup alerts');
});

test('a UDP edge → kubernetes_newly_seen_udp_edge', async () => {
  await send([{ src: 'dns-client', dst: 'coredns', proto: 'udp' }]);
  await hook.waitUntil(() => posted('dns-client').length === 1, 5000, 'udp alert');
  const a = posted('dns-client')[0];
  expect(a.rule).toBe('kubernetes_newly_seen_udp_edge');
  expect(a.protocol).toBe('udp');
  expect(a.title).toBe(`Kubernetes newly seen UDP edge in kubernetes cluster ${CLUSTER}`);
});

test('tcp.bytes alone → nothing', async () => {
  await send([{ src: 'bytes-only', dst: 'db' }], { names: ['tcp.bytes'] });
  expect(await outboxFor('bytes-only')).toHaveLength(0);
  const { json } = await getJson<{ edges: Array<{ source: string }> }>(ew.ports.admin, '/api/v1/edges?limit=10000');
  expect(json.edges.some((e) => e.source === 'bytes-only')).toBe(false);
});

test('OTLP/HTTP with protobuf, JSON and gzip', async () => {
  const pb = request([{ src: 'http-pb', dst: 'db' }]);
  const r1 = await httpRequest(ew.ports.http, 'POST', '/v1/metrics', pb, { 'Content-Type': 'application/x-protobuf' });
  expect(r1.status).toBe(200);
  const json = reducerRequest({ cluster: CLUSTER, edges: [{ src: 'http-json', dst: 'db' }], timeMs: aligned(Date.now()), metricsPerRequest: 100 }).json;
  const r2 = await httpRequest(ew.ports.http, 'POST', '/v1/metrics', gzipSync(json), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
  expect(r2.status).toBe(200);
  expect(JSON.parse(r2.body.toString())).toEqual({});
  expect(await outboxFor('http-pb')).toHaveLength(1);
  expect(await outboxFor('http-json')).toHaveLength(1);
});

test('the real OpenTelemetry exporters (gRPC and HTTP, plain and gzip) as clients', async () => {
  expect(await exportViaGrpcExporter(ew.ports.grpc, CLUSTER, [{ src: 'sdk-grpc', dst: 'api' }, { src: 'sdk-grpc-bytes', dst: 'api', metric: 'tcp.bytes' }])).toEqual({ code: 0, error: undefined });
  expect(await exportViaGrpcExporter(ew.ports.grpc, CLUSTER, [{ src: 'sdk-grpc-gz', dst: 'api' }], true)).toEqual({ code: 0, error: undefined });
  expect(await exportViaHttpExporter(ew.ports.http, CLUSTER, [{ src: 'sdk-http', dst: 'api', metric: 'udp.packets' }])).toEqual({ code: 0 });
  expect(await exportViaHttpExporter(ew.ports.http, CLUSTER, [{ src: 'sdk-http-gz', dst: 'api' }], true)).toEqual({ code: 0 });
  await hook.waitUntil(() => ['sdk-grpc', 'sdk-grpc-gz', 'sdk-http', 'sdk-http-gz'].every((s) => posted(s).length === 1), 5000, 'sdk alerts');
  expect(posted('sdk-http')[0].rule).toBe('kubernetes_newly_seen_udp_edge');
  expect(await outboxFor('sdk-grpc-bytes')).toHaveLength(0);
});

test('points without a workload → partial_success with the count and a message', async () => {
  const bad = reducerRequest({ cluster: CLUSTER, edges: [{ src: 'no-dest', dst: '' }], names: ['tcp.packets'], metricsPerRequest: 5, timeMs: aligned(Date.now()) });
  const r = await httpRequest(ew.ports.http, 'POST', '/v1/metrics', bad.json, { 'Content-Type': 'application/json' });
  expect(r.status).toBe(200);
  expect(JSON.parse(r.body.toString())).toEqual({ partialSuccess: { rejectedDataPoints: '5', errorMessage: expect.stringMatching(/5 .*destination workload/) } });
});

test('bad input gets the contract codes and the service keeps serving', async () => {
  const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
  expect((await grpcExport(ew.ports.grpc, garbage)).code).toBe(status.INVALID_ARGUMENT);
  expect((await httpRequest(ew.ports.http, 'POST', '/v1/metrics', garbage, { 'Content-Type': 'application/x-protobuf' })).status).toBe(400);
  expect((await httpRequest(ew.ports.http, 'POST', '/v1/metrics', '{"resourceMetrics":', { 'Content-Type': 'application/json' })).status).toBe(400);
  expect((await httpRequest(ew.ports.http, 'POST', '/v1/metrics', 'x', { 'Content-Type': 'text/plain' })).status).toBe(415);
  const gz = gzipSync(reducerRequest({ cluster: CLUSTER, edges: [{ src: 'trunc', dst: 'db' }], timeMs: aligned(Date.now()) }).protobuf);
  expect((await httpRequest(ew.ports.http, 'POST', '/v1/metrics', gz.subarray(0, gz.length - 20), { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' })).status).toBe(400);
  const huge = Buffer.alloc(ew.cfg.maxMessageBytes + 1024, 0);
  expect((await grpcExport(ew.ports.grpc, huge)).code).toBe(status.RESOURCE_EXHAUSTED);
  expect((await httpRequest(ew.ports.http, 'POST', '/v1/metrics', huge, { 'Content-Type': 'application/x-protobuf' })).status).toBe(413);
  await send([{ src: 'after-errors', dst: 'db' }]);
  expect(await outboxFor('after-errors')).toHaveLength(1);
  expect(await outboxFor('trunc')).toHaveLength(0);
});

test('admin: healthz, readyz, metrics, alerts API', async () => {
  // Its own alert, so the test stands alone (`jest -t`) and every metric below has a sample.
  await send([{ src: 'admin-probe', dst: 'db' }]);
  const dropped = reducerRequest({ cluster: CLUSTER, edges: [{ src: 'admin-probe', dst: '' }], names: ['tcp.packets'], metricsPerRequest: 1, timeMs: aligned(Date.now()) });
  expect((await httpRequest(ew.ports.http, 'POST', '/v1/metrics', dropped.protobuf, { 'Content-Type': 'application/x-protobuf' })).status).toBe(200);
  await hook.waitUntil(() => posted('admin-probe').length === 1, 5000, 'alert for admin-probe');
  expect((await getJson(ew.ports.admin, '/healthz')).status).toBe(200);
  expect(await getJson(ew.ports.admin, '/readyz')).toEqual({ status: 200, json: { status: 'ready', store: 'sqlite' } });
  const metrics = (await httpRequest(ew.ports.admin, 'GET', '/metrics')).body.toString();
  for (const name of ['edgewatch_points_received_total', 'edgewatch_points_dropped_total', 'edgewatch_edges_new_total', 'edgewatch_alerts_sent_total', 'edgewatch_alerts_pending', 'edgewatch_store_operation_duration_seconds_bucket', 'edgewatch_export_request_duration_seconds_bucket', 'edgewatch_alert_latency_seconds_bucket']) {
    expect(metrics).toContain(name);
  }
  const { json } = await getJson<{ alerts: Array<{ id: string; deliveries: Array<{ state: string }> }> }>(ew.ports.admin, '/api/v1/alerts?limit=5');
  expect(json.alerts.length).toBeGreaterThan(0);
  expect(json.alerts.some((a) => a.deliveries.length > 0)).toBe(true);
  expect((await httpRequest(ew.ports.admin, 'GET', '/api/v1/edges?since=yesterday-ish')).status).toBe(400);
});

test('restart the service and replay everything → no new alert', async () => {
  // Its own new edge among what is replayed, so the test stands alone (`jest -t`).
  await send([{ src: 'before-restart', dst: 'db' }]);
  await hook.waitUntil(() => posted('before-restart').length === 1, 5000, 'alert for before-restart');
  await waitForSettled(); // every delivery acknowledged: nothing pending could be sent again
  const before = (await ew.svc.store.listAlerts(10_000)).length;
  const postsBefore = hook.requests.length;
  await ew.stop();
  ew = await startService({ store: `sqlite:${tmp.dir}/edgewatch.db`, webhookUrls: [hook.url()], webhookSecret: SECRET });
  for (const buf of [...sent]) {
    const r = await grpcExport(ew.ports.grpc, buf);
    expect(r.code).toBe(status.OK);
  }
  // Final when the Export calls returned: no alert was added, nothing waits to be sent…
  expect((await ew.svc.store.listAlerts(10_000)).length).toBe(before);
  await waitForSettled();
  // …and the next POST is the one for a new edge sent now, right after the ones before the restart.
  await send([{ src: 'after-restart', dst: 'db' }]);
  await hook.waitUntil(() => posted('after-restart').length === 1, 5000, 'alert for after-restart');
  expect(hook.requests.slice(postsBefore).map((r) => (r.json as Alert).source.workload)).toEqual(['after-restart']);
});
