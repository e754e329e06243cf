/**
 * Edge admin: forget and NetworkPolicy export under /api/v1 of a running service, and the
 * `edgewatch edges list|forget|export` commands against the same SQLite file.
 */
import { status } from '@grpc/grpc-js';
import { Command } from 'commander';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { addEdgesCommand } from '../../src/cli/edges';
import type { CliIo } from '../../src/cli/replay';
import type { Alert } from '../../src/core/alert';
import { reducerRequest, type FixtureEdge } from '../helpers/otlp-fixtures';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { aligned, closeGrpcClients, grpcExport, httpRequest, startService, tempDir, type Running } from '../helpers/service-harness';

const TOKEN = 'admin-token';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
let tmp: ReturnType<typeof tempDir>;
let db: string;
let hook: WebhookReceiver;
let ew: Running;

beforeAll(async () => {
  tmp = tempDir('ew-edges-');
  db = join(tmp.dir, 'edges.db');
  hook = await WebhookReceiver.start();
  ew = await startService({ store: `sqlite:${db}`, webhookUrls: [hook.url()], adminToken: TOKEN });
  await send([
    { src: 'frontend', dst: 'payments', srcNs: 'web', dstNs: 'shop' },
    { src: 'checkout', dst: 'payments', ns: 'shop' },
    { src: 'frontend', dst: 'api.stripe.com', srcNs: 'web', dstNs: '' },
    { src: '(internet)', dst: 'frontend', srcNs: '', dstNs: 'web' },
  ]);
  await send([{ src: 'resolver', dst: 'kube-dns', proto: 'udp', ns: 'kube-system' }]);
  await hook.waitFor(5, 5000);
});

afterAll(async () => {
  await ew.stop();
  closeGrpcClients();
  await hook.close();
  tmp.cleanup();
});

async function send(edges: FixtureEdge[], timeMs = aligned(Date.now())): Promise<void> {
  const body = reducerRequest({ cluster: 'prod-eu', edges, names: ['tcp.packets', 'udp.packets'], metricsPerRequest: edges.length, timeMs }).protobuf;
  expect((await grpcExport(ew.ports.grpc, body)).code).toBe(status.OK);
}

async function cli(...args: string[]): Promise<string> {
  let out = '';
  const io: CliIo = { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true } };
  const program = new Command('edgewatch').exitOverride();
  addEdgesCommand(program, io);
  await program.parseAsync(['node', 'edgewatch', 'edges', ...args, '--store', `sqlite:${db}`]);
  return out;
}

interface Policy {
  metadata: { name: string; namespace?: string };
  spec: { podSelector: { matchLabels: Record<string, string> }; ingress: Array<{ from: Array<Record<string, { matchLabels?: Record<string, string> }>>; ports: Array<{ protocol: string }> }> };
}
const policiesOf = (yaml: string): Policy[] =>
  parseAllDocuments(yaml).map((d) => {
    expect(d.errors).toEqual([]);
    return d.toJSON() as Policy;
  });

test('GET /api/v1/networkpolicies?cluster= exports NetworkPolicy YAML that parses back', async () => {
  const r = await httpRequest(ew.ports.admin, 'GET', '/api/v1/networkpolicies?cluster=prod-eu', undefined, AUTH);
  expect(r.status).toBe(200);
  expect(r.headers['content-type']).toContain('application/yaml');
  const text = r.body.toString();
  const policies = policiesOf(text);
  const payments = policies.find((p) => p.spec.podSelector.matchLabels['app.kubernetes.io/name'] === 'payments');
  expect(payments?.metadata).toEqual({ name: 'edgewatch-allow-to-payments', namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'edgewatch' }, annotations: { 'edgewatch.io/cluster': 'prod-eu', 'edgewatch.io/workload': 'payments' } });
  expect(payments?.spec.ingress).toEqual([
    { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'checkout' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } }], ports: [{ protocol: 'TCP' }] },
    { from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'frontend' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } } }], ports: [{ protocol: 'TCP' }] },
  ]);
  const dns = policies.find((p) => p.metadata.name === 'edgewatch-allow-to-kube-dns');
  expect(dns?.spec.ingress[0].ports).toEqual([{ protocol: 'UDP' }]);
  expect(text).toContain('# WARNING: also seen from outside the cluster');
  expect(text).toContain('frontend → api.stripe.com (tcp)');
  expect((await httpRequest(ew.ports.admin, 'GET', '/api/v1/networkpolicies', undefined, AUTH)).status).toBe(400);
});

test('with admin_token set every /api/v1 route answers 401 without it, reads included; probes and /metrics stay open', async () => {
  const routes: Array<[string, string]> = [
    ['GET', '/api/v1/edges'],
    ['GET', '/api/v1/edges?cluster=prod-eu'],
    ['GET', '/api/v1/alerts'],
    ['GET', '/api/v1/networkpolicies?cluster=prod-eu'],
    ['GET', '/api/v1/no-such-route'],
    ['DELETE', '/api/v1/edges?cluster=prod-eu&source=frontend&dest=payments'],
    ['POST', '/api/v1/alerts/0123/ack'],
  ];
  for (const [method, path] of routes) {
    for (const headers of [undefined, { Authorization: 'Bearer wrong' }, { Authorization: TOKEN }]) {
      const r = await httpRequest(ew.ports.admin, method, path, undefined, headers);
      expect([method, path, r.status]).toEqual([method, path, 401]);
      expect(r.headers['www-authenticate']).toBe('Bearer');
      expect(JSON.parse(r.body.toString())).toEqual({ error: expect.stringContaining('bearer token') });
    }
  }
  const edges = await httpRequest(ew.ports.admin, 'GET', '/api/v1/edges?cluster=prod-eu', undefined, AUTH);
  expect(edges.status).toBe(200);
  expect((JSON.parse(edges.body.toString()) as { edges: unknown[] }).edges.length).toBeGreaterThan(0);
  expect((await httpRequest(ew.ports.admin, 'GET', '/api/v1/alerts', undefined, AUTH)).status).toBe(200);
  for (const open of ['/metrics', '/healthz', '/readyz']) expect([open, (await httpRequest(ew.ports.admin, 'GET', open)).status]).toEqual([open, 200]);
});

test('DELETE /api/v1/edges forgets an edge (token required): the next point of it alerts again', async () => {
  const path = '/api/v1/edges?cluster=prod-eu&source=checkout&dest=payments';
  expect((await httpRequest(ew.ports.admin, 'DELETE', path)).status).toBe(401);
  expect((await httpRequest(ew.ports.admin, 'DELETE', path, undefined, { Authorization: 'Bearer wrong' })).status).toBe(401);
  const ok = await httpRequest(ew.ports.admin, 'DELETE', path, undefined, { Authorization: `Bearer ${TOKEN}` });
  expect(ok.status).toBe(200);
  expect(JSON.parse(ok.body.toString())).toEqual({ forgotten: [{ cluster: 'prod-eu', protocol: 'tcp', source: 'checkout', dest: 'payments' }] });
  expect((await httpRequest(ew.ports.admin, 'DELETE', path, undefined, { Authorization: `Bearer ${TOKEN}` })).status).toBe(404);
  const bad = await httpRequest(ew.ports.admin, 'DELETE', '/api/v1/edges?cluster=prod-eu&source=checkout', undefined, { Authorization: `Bearer ${TOKEN}` });
  expect(bad.status).toBe(400);
  expect(bad.body.toString()).toContain('dest: required');

  // The next point (a later one: the same point again is the same appearance, whose alert exists).
  await send([{ src: 'checkout', dst: 'payments', ns: 'shop' }], aligned(Date.now()) + 30_000);
  await hook.waitUntil((rs) => rs.filter((r) => (r.json as Alert).source.workload === 'checkout').length === 2, 5000, 'second checkout alert');
});

test('edges list / forget / export on the command line, next to the running service', async () => {
  const table = await cli('list', '--cluster', 'prod-eu');
  expect(table.split('\n')[0]).toMatch(/^CLUSTER\s+PROTO\s+SOURCE\s+DEST\s+LAST SEEN$/);
  expect(table).toMatch(/prod-eu\s+udp\s+resolver\s+kube-dns\s+\d{4}-/);
  const json = JSON.parse(await cli('list', '--json', '--protocol', 'udp')) as { edges: Array<{ source: string; dest: string }> };
  expect(json.edges.map((e) => `${e.source}→${e.dest}`)).toEqual(['resolver→kube-dns']);

  expect(await cli('forget', '--cluster', 'prod-eu', '--source', 'resolver', '--dest', 'kube-dns')).toBe('forgot prod-eu udp resolver → kube-dns\n');
  expect(await cli('list', '--json', '--protocol', 'udp')).toContain('"edges": []');

  const exported = policiesOf(await cli('export', '--cluster', 'prod-eu'));
  expect(exported.map((p) => p.metadata.name).sort()).toEqual(['edgewatch-allow-to-frontend', 'edgewatch-allow-to-payments']);

  // The CLI left the service's sink registration alone: a new edge still reaches the webhook.
  await send([{ src: 'after-cli', dst: 'payments', ns: 'shop' }]);
  await hook.waitUntil((rs) => rs.some((r) => (r.json as Alert).source.workload === 'after-cli'), 5000, 'alert after the CLI ran');
});
