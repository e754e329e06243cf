/**
 * The traffic-anomaly detections through the real service on the `memory:` store: OTLP/HTTP
 * requests of reducer-shaped points, the decoder's samples, the traffic stage and its flush,
 * the storm guard's enqueue and the outbox. A steady baseline (back-filled) and a 10-minute
 * spike raise exactly one alert; the new-edge detector is not fed without `new_edge`.
 */
import type { Alert } from '../../src/core/alert';
import { fixtureOf, type OtlpKeyValue, type OtlpMetric } from '../helpers/otlp-fixtures';
import { getJson, httpRequest, startService, type Running } from '../helpers/service-harness';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
/** Half past an hour: the back-filled baseline lies in the hours before the spike's. */
const NOW = Date.UTC(2026, 10, 28, 10, 30, 0);

const attrs = (kv: Record<string, string>): OtlpKeyValue[] => Object.entries(kv).map(([key, v]) => ({ key, value: { stringValue: v } }));
const POINT_ATTRS = attrs({ 'source.workload.name': 'frontend', 'dest.workload.name': 'payments', 'source.namespace.name': 'shop', 'dest.namespace.name': 'shop', 'dest.process.name': 'java' });

function metric(t: number, value: number, name = 'tcp.bytes'): OtlpMetric {
  return { name, sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ attributes: POINT_ATTRS, startTimeUnixNano: `${t - 30 * S}000000`, timeUnixNano: `${t}000000`, asInt: String(value) }] } };
}

function request(metrics: OtlpMetric[]): Buffer {
  return fixtureOf({ resourceMetrics: [{ resource: { attributes: attrs({ 'k8s.cluster.name': 'prod-eu' }) }, scopeMetrics: [{ metrics }] }] }).protobuf;
}

/** Deterministic steady traffic: 1000 ± 150. */
const steady = (t: number): number => 1000 + ((t / (30 * S)) * 37) % 301 - 150;

let ew: Running;
const clock = { now: NOW };

beforeAll(async () => {
  // The flush timer is out of the way: the test flushes after each request, as the timer would.
  ew = await startService({ store: 'memory:', detections: ['edge_traffic'], flushIntervalMs: H }, { now: () => clock.now });
});
afterAll(async () => {
  await ew.stop();
});

async function post(metrics: OtlpMetric[]): Promise<void> {
  const r = await httpRequest(ew.ports.http, 'POST', '/v1/metrics', request(metrics), { 'Content-Type': 'application/x-protobuf' });
  expect(r.status).toBe(200);
}

test('a 10-minute spike after a steady baseline raises exactly one alert', async () => {
  const traffic = ew.svc.traffic;
  if (traffic === null) throw new Error('no traffic stage although edge_traffic is on');
  // Six hours of history, older than the detection window: it only feeds the baseline.
  const history: OtlpMetric[] = [];
  // tcp.packets (a watched metric of new_edge too, and a traffic metric) stays a steady 10.
  for (let t = NOW - 7 * H; t < NOW - H; t += 30 * S) history.push(metric(t, steady(t)), metric(t, 10, 'tcp.packets'));
  for (let i = 0; i < history.length; i += 500) await post(history.slice(i, i + 500));
  await traffic.flush();

  // Live: a spike from NOW for 10 minutes, then 10 minutes steady; one reducer timestamp per request.
  for (let t = NOW; t < NOW + 20 * M; t += 30 * S) {
    clock.now = t + 2 * S;
    await post([metric(t, t < NOW + 10 * M ? 5000 : steady(t)), metric(t, 10, 'tcp.packets')]);
    await traffic.flush();
  }
  clock.now = NOW + 21 * M;
  await traffic.flush();

  const { status, json } = await getJson<{ alerts: Array<Alert & { deliveries: unknown }> }>(ew.ports.admin, '/api/v1/alerts');
  expect(status).toBe(200);
  expect(json.alerts).toHaveLength(1);
  const a = json.alerts[0];
  expect(a).toMatchObject({
    rule: 'kubernetes_anomalous_traffic_on_network_edge',
    rule_id: '886c7e51-2ea1-425d-8705-faaca5a64cc6',
    title: 'Kubernetes Anomalous Traffic on Network Edge in kubernetes cluster prod-eu',
    cluster: 'prod-eu',
    protocol: 'tcp',
    source: { workload: 'frontend', namespace: 'shop' },
    dest: { workload: 'payments', namespace: 'shop' },
    first_seen: new Date(NOW).toISOString(),
    severity: 'medium',
    risk_score: 25,
  });
  expect(a.anomalies).toHaveLength(6);
  expect(a.anomalies?.[0]).toMatchObject({ metric: 'tcp.bytes', bucket_start: new Date(NOW).toISOString(), value: 5000 });

  // Without new_edge among the detections the new-edge detector is not fed its tcp.packets points.
  expect(ew.svc.detector.cache.size).toBe(0);
  const metrics = (await httpRequest(ew.ports.admin, 'GET', '/metrics')).body.toString();
  expect(metrics).toMatch(/^edgewatch_traffic_anomalies_total\{detection="edge_traffic"\} 20$/m);
  expect(metrics).toMatch(/^edgewatch_traffic_keys 1$/m);
  expect(metrics).toMatch(/^edgewatch_alerts_enqueued_total 1$/m);
});

test('with new_edge among the detections the same points feed both detectors', async () => {
  const both = await startService({ store: 'memory:', detections: ['new_edge', 'edge_traffic'], flushIntervalMs: H }, { now: () => NOW });
  try {
    const r = await httpRequest(both.ports.http, 'POST', '/v1/metrics', request([metric(NOW, 10, 'tcp.packets')]), { 'Content-Type': 'application/x-protobuf' });
    expect(r.status).toBe(200);
    expect(both.svc.detector.cache.size).toBe(1);
    expect(both.svc.traffic?.table.size).toBe(1);
  } finally {
    await both.stop();
  }
});
