/**
 * Alert routing end to end: one service, several sinks of every kind, each a real local HTTP
 * receiver that checks its format field by field; filters per sink; a failing sink never
 * holding up the others.
 */
import { status } from '@grpc/grpc-js';
import type { Alert } from '../../src/core/alert';
import { reducerRequest, type FixtureEdge } from '../helpers/otlp-fixtures';
import { WebhookReceiver, type ReceivedRequest } from '../helpers/webhook-receiver';
import { aligned, closeGrpcClients, getJson, grpcExport, startService, type Running } from '../helpers/service-harness';

let slack: WebhookReceiver;
let hec: WebhookReceiver;
let am: WebhookReceiver;
let generic: WebhookReceiver;
let broken: WebhookReceiver;
let ew: Running;

beforeAll(async () => {
  [slack, hec, am, generic, broken] = await Promise.all([1, 2, 3, 4, 5].map(() => WebhookReceiver.start()));
  slack.setDefault({ status: 200, body: 'ok', headers: { 'Content-Type': 'text/plain' } });
  hec.setDefault({ status: 200, body: '{"text":"Success","code":0}' });
  broken.setDefault({ status: 503 });
  ew = await startService({
    store: 'memory:',
    externalUrl: 'https://edgewatch.example.com',
    webhookUrls: [generic.url('/generic')],
    sinks: [
      { type: 'slack', url: slack.url('/services/T000/B000/XXXX'), protocols: ['tcp'] },
      { type: 'splunk_hec', name: 'splunk', url: hec.url('/'), token: 'hec-token', index: 'security', clusters: ['prod-*'] },
      { type: 'alertmanager', url: am.url(''), severity: 'critical', labels: { team: 'sec' } },
      { type: 'webhook', name: 'broken', url: broken.url('/down') },
    ],
  });
});

afterAll(async () => {
  await ew.stop();
  closeGrpcClients();
  await Promise.all([slack, hec, am, generic, broken].map((r) => r.close()));
});

async function send(cluster: string, edges: FixtureEdge[]): Promise<void> {
  const body = reducerRequest({ cluster, edges, names: ['tcp.packets', 'udp.packets'], metricsPerRequest: edges.length, timeMs: aligned(Date.now()) }).protobuf;
  const r = await grpcExport(ew.ports.grpc, body);
  expect(r.code).toBe(status.OK);
}

const alertOf = (src: string): Promise<Alert> =>
  generic.waitUntil((rs) => rs.some((r) => (r.json as Alert).source.workload === src), 5000, src).then(
    () => generic.requests.map((r) => r.json as Alert).find((a) => a.source.workload === src) as Alert,
  );
const hit = (rx: WebhookReceiver, id: string): ReceivedRequest | undefined => rx.requests.find((r) => r.headers['x-edgewatch-alert-id'] === id);

test('a TCP edge in prod-eu reaches Slack, Splunk HEC and Alertmanager, each in its format', async () => {
  await send('prod-eu', [{ src: 'frontend', dst: 'payments', ns: 'shop' }]);
  const alert = await alertOf('frontend');
  await Promise.all([slack, hec, am].map((rx) => rx.waitUntil(() => hit(rx, alert.id) !== undefined, 5000, 'alert')));
  // external_url is set: the generic webhook's alert links to the edge on the page (cluster and sel= as the page reads them).
  const pageUrl = 'https://edgewatch.example.com/?cluster=prod-eu&sel=tcp%7Cfrontend%7Cpayments';
  expect(alert.url).toBe(pageUrl);
  expect(new URL(pageUrl).searchParams.get('sel')).toBe('tcp|frontend|payments');

  const s = hit(slack, alert.id) as ReceivedRequest;
  expect(s.method).toBe('POST');
  expect(s.url).toBe('/services/T000/B000/XXXX');
  expect(s.headers['content-type']).toBe('application/json');
  const msg = s.json as { text: string; blocks: Array<{ type: string; text?: { text: string }; fields?: Array<{ text: string }> }> };
  // Both workloads are new to this service's baseline: a new_workload edge, severity low (its colour on the attachment).
  expect(msg.text).toBe('Kubernetes newly seen TCP edge in kubernetes cluster prod-eu: shop/frontend → shop/payments (TCP) · low severity, new_workload');
  expect((s.json as { attachments: Array<{ color: string }> }).attachments.map((x) => x.color)).toEqual(['#2EB67D']);
  expect(msg.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions', 'context']);
  expect((msg.blocks[3] as unknown as { elements: Array<{ type: string; url: string }> }).elements).toEqual([expect.objectContaining({ type: 'button', url: pageUrl })]);
  expect(msg.blocks[0].text?.text).toBe('Kubernetes newly seen TCP edge');
  expect(msg.blocks[1].text?.text).toBe('`frontend` (namespace `shop`) → `payments` (namespace `shop`) over TCP');
  const fields = msg.blocks[2].fields?.map((f) => f.text) ?? [];
  expect(fields).toEqual(
    expect.arrayContaining([
      '*Cluster*\n`prod-eu`',
      '*Source*\n`frontend` (namespace `shop`)',
      '*Destination*\n`payments` (namespace `shop`)',
      expect.stringMatching(new RegExp(`^\\*First seen\\*\\n<!date\\^\\d+\\^\\{date_short_pretty\\} \\{time_secs\\}\\|${alert.first_seen.replace(/\./g, '\\.')}>$`)),
      '*Risk score*\n25 (impact 50 × confidence 50 / 100)',
      '*Rule*\n`kubernetes_newly_seen_tcp_edge`',
    ]),
  );

  const h = hit(hec, alert.id) as ReceivedRequest;
  expect(h.url).toBe('/services/collector/event');
  expect(h.headers.authorization).toBe('Splunk hec-token');
  const env = h.json as { time: number; host: string; sourcetype: string; index: string; source: string; event: Record<string, unknown> };
  expect(env).toMatchObject({ time: Date.parse(alert.first_seen) / 1000, host: 'prod-eu', sourcetype: 'edgewatch:alert', index: 'security', source: 'edgewatch' });
  expect(env.event).toMatchObject({
    host: 'prod-eu',
    'k8s.cluster.name': 'prod-eu',
    'source.workload.name': 'frontend',
    'dest.workload.name': 'payments',
    'tcp.packets_count': 1,
    current: 'True',
    id: alert.id,
    rule: 'kubernetes_newly_seen_tcp_edge',
    risk_score: 25,
    mitre_attack: ['T1204'],
    first_seen: alert.first_seen,
    severity: 'low',
    context: alert.context,
    url: pageUrl,
  });

  const a = hit(am, alert.id) as ReceivedRequest;
  expect(a.url).toBe('/api/v2/alerts');
  const list = a.json as Array<{ labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; generatorURL: string }>;
  expect(list).toHaveLength(1);
  expect(list[0].labels).toEqual({
    team: 'sec',
    alertname: 'kubernetes_newly_seen_tcp_edge',
    cluster: 'prod-eu',
    source_workload: 'frontend',
    dest_workload: 'payments',
    protocol: 'tcp',
    severity: 'critical', // the sink's own severity wins over the alert's (low)
    kind: 'new_workload',
    source_namespace: 'shop',
    dest_namespace: 'shop',
  });
  expect(list[0].annotations).toMatchObject({ summary: alert.title, alert_id: alert.id, risk_score: '25', url: pageUrl });
  expect(list[0].startsAt).toBe(alert.first_seen);
  // No generator_url on the sink: the edge on the page (external_url + /api/v1/alerts only for alerts without a url).
  expect(list[0].generatorURL).toBe(pageUrl);
});

test('per-sink filters: Slack takes only TCP, Splunk only prod-*; a filtered sink acknowledges without sending', async () => {
  await send('prod-eu', [{ src: 'resolver', dst: 'kube-dns', proto: 'udp' }]);
  await send('dev', [{ src: 'devtool', dst: 'db' }]);
  const udp = await alertOf('resolver');
  const dev = await alertOf('devtool');
  await am.waitUntil(() => hit(am, udp.id) !== undefined && hit(am, dev.id) !== undefined, 5000, 'both at alertmanager');
  await hec.waitUntil(() => hit(hec, udp.id) !== undefined, 5000, 'udp at hec');
  await slack.waitUntil(() => hit(slack, dev.id) !== undefined, 5000, 'dev at slack');
  expect(hit(slack, udp.id)).toBeUndefined();
  expect(hit(hec, dev.id)).toBeUndefined();
  expect((hit(hec, udp.id)?.json as { event: Record<string, unknown> }).event['udp.packets_count']).toBe(1);
  // Skipped deliveries are settled (not pending forever), yet nothing was sent.
  const { json } = await getJson<{ alerts: Array<{ id: string; deliveries: Array<{ sink: string; state: string }> }> }>(ew.ports.admin, '/api/v1/alerts');
  const stateOf = (id: string, sink: string): string | undefined => json.alerts.find((x) => x.id === id)?.deliveries.find((d) => d.sink === sink)?.state;
  expect(stateOf(udp.id, [...new Set(json.alerts.flatMap((x) => x.deliveries.map((d) => d.sink)))].find((n) => n.startsWith('slack:')) ?? '')).toBe('delivered');
  expect(stateOf(dev.id, 'splunk')).toBe('delivered');
});

test('a sink that keeps failing holds up no other: its alerts wait in its own queue', async () => {
  // Its own alert, so the test stands alone (`jest -t`).
  await send('prod-eu', [{ src: 'stuck', dst: 'ledger' }]);
  const alert = await alertOf('stuck');
  // The broken sink was tried (and said 503) and each other sink got the alert.
  await broken.waitUntil(() => hit(broken, alert.id) !== undefined, 5000, 'an attempt at the broken sink');
  await Promise.all([slack, hec, am].map((rx) => rx.waitUntil(() => hit(rx, alert.id) !== undefined, 5000, 'alert')));
  type Deliveries = { alerts: Array<{ id: string; deliveries: Array<{ sink: string; state: string; attempts: number }> }> };
  const deliveries = async (): Promise<Array<{ sink: string; state: string; attempts: number }>> =>
    (await getJson<Deliveries>(ew.ports.admin, '/api/v1/alerts')).json.alerts.find((a) => a.id === alert.id)?.deliveries ?? [];
  // A sink's ack follows its 2xx: wait for every other sink to have recorded the delivery.
  const deadline = Date.now() + 5000;
  while ((await deliveries()).some((d) => d.sink !== 'broken' && d.state !== 'delivered') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const final = await deliveries();
  expect(final.map((d) => d.sink).sort()).toHaveLength(5);
  for (const d of final) expect(d.state).toBe(d.sink === 'broken' ? 'pending' : 'delivered');
  expect(generic.requests.filter((r) => r.headers['x-edgewatch-alert-id'] === alert.id)).toHaveLength(1);
});
