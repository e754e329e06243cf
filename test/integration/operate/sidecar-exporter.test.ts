/**
 * The collector side of the sidecar, for real: the built service started with the edgewatch
 * container's env from deploy/sidecar/opentelemetry-collector/values.yaml (its Secret keys filled
 * in, its Redis a redis-server with a password), and the real OpenTelemetry OTLP gRPC exporter
 * sending with gzip to the endpoint of that file's collector exporter, `localhost:14317`, with the
 * cluster name its resource processor stamps. A new edge comes out as a webhook alert.
 * test/unit/deploy/sidecar.test.ts shows that the other shipped files carry the same env.
 */
import { createServer } from 'node:net';
import { ensureBuilt, logLines, startChild, type ChildService } from '../../helpers/child-service';
import { startRedis, type RedisServer } from '../../helpers/redis-server';
import { exportViaGrpcExporter, exportViaHttpExporter } from '../../helpers/sdk-exporters';
import { httpRequest } from '../../helpers/service-harness';
import { otlpGrpcExporters, resolveEnv, sidecarShapes, type Doc } from '../../helpers/sidecar-manifests';
import { WebhookReceiver } from '../../helpers/webhook-receiver';
import { portOf, SIDECAR_ADDRS } from '../../../src/config/sidecar';

const PASSWORD = 'sidecar-redis-password';
const ADMIN_TOKEN = 'sidecar-admin-token';
const shape = sidecarShapes()[0];

/** Resolves when nothing listens on 127.0.0.1:port (the fixed sidecar ports must be free here). */
function assertFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', () => reject(new Error(`127.0.0.1:${port} is in use: the sidecar test needs the sidecar ports`)));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
  });
}

let redis: RedisServer;
let hooks: WebhookReceiver;
let ew: ChildService | undefined;

beforeAll(async () => {
  ensureBuilt();
  redis = await startRedis();
  // The password the Secret's redis-password holds (set after start: the helper's readiness check speaks without AUTH).
  redis.cli('CONFIG', 'SET', 'requirepass', PASSWORD);
  hooks = await WebhookReceiver.start();
}, 120_000);

afterAll(async () => {
  await ew?.stop();
  await hooks?.close();
  await redis?.dispose();
});

test('the shipped sidecar env + the collector exporter of the same file: a new edge over OTLP gRPC (gzip) to localhost:14317 becomes an alert', async () => {
  const env = resolveEnv(shape.container, { 'redis-password': PASSWORD, 'admin-token': ADMIN_TOKEN, 'webhook-url': hooks.url() });
  // The file's Redis is redis://edgewatch-redis:6379 in the cluster; here the test's server.
  const store = new URL(env.EDGEWATCH_STORE);
  expect(store.protocol).toBe('redis:');
  env.EDGEWATCH_STORE = `redis://127.0.0.1:${redis.port}`;
  // The admin address (0.0.0.0:9464 in the pod) is left to the harness' free loopback port, so
  // the test neither takes a fixed port nor listens on every interface of this machine.
  expect(env.EDGEWATCH_ADMIN_ADDR).toBe(SIDECAR_ADDRS.adminAddr);
  delete env.EDGEWATCH_ADMIN_ADDR;
  expect([env.EDGEWATCH_OTLP_GRPC_ADDR, env.EDGEWATCH_OTLP_HTTP_ADDR]).toEqual([SIDECAR_ADDRS.otlpGrpcAddr, SIDECAR_ADDRS.otlpHttpAddr]);
  await assertFree(portOf(SIDECAR_ADDRS.otlpGrpcAddr));
  await assertFree(portOf(SIDECAR_ADDRS.otlpHttpAddr));

  ew = await startChild({ env });
  const started = logLines(ew.logs, 'edgewatch started')[0];
  expect(started).toMatchObject({ grpc: '127.0.0.1:14317', http: '127.0.0.1:14318', store: 'redis' });

  // What the collector of that file would do: its exporter's endpoint, its cluster name, gzip.
  const [exporter] = otlpGrpcExporters(shape.collector).filter((e) => e.pipelines.length > 0);
  const endpoint = String(exporter.spec.endpoint);
  expect(endpoint).toBe('localhost:14317');
  const stamp = (((shape.collector.processors as Record<string, Doc>)['resource/cluster'].attributes ?? []) as Array<{ key: string; value: string }>)[0];
  expect(stamp.key).toBe('k8s.cluster.name');
  const sent = await exportViaGrpcExporter(endpoint, stamp.value, [{ src: 'frontend', dst: 'payments' }], true);
  expect(sent).toEqual({ code: 0, error: undefined });

  const [hook] = await hooks.waitFor(1, 15_000);
  expect(hook.json).toMatchObject({
    rule: 'kubernetes_newly_seen_tcp_edge',
    cluster: stamp.value,
    source: { workload: 'frontend' },
    dest: { workload: 'payments' },
  });

  // The loopback OTLP/HTTP receiver on the other sidecar port works too (gzip).
  const overHttp = await exportViaHttpExporter(portOf(SIDECAR_ADDRS.otlpHttpAddr), stamp.value, [{ src: 'frontend', dst: 'cart', metric: 'udp.packets' }], true);
  expect(overHttp.code).toBe(0);
  await hooks.waitUntil((reqs) => reqs.some((r) => (r.json as { rule?: string }).rule === 'kubernetes_newly_seen_udp_edge'), 15_000, 'the UDP alert');

  // The admin API holds the baseline: with the Secret's admin-token it answers, without it 401.
  expect((await httpRequest(ew.ports.admin, 'GET', '/api/v1/alerts')).status).toBe(401);
  const alerts = await httpRequest(ew.ports.admin, 'GET', '/api/v1/alerts', undefined, { authorization: `Bearer ${ADMIN_TOKEN}` });
  expect(alerts.status).toBe(200);
  expect(alerts.body.toString('utf8')).toContain('payments');

  // SIGTERM as the kubelet sends it after the collector exited: a clean stop within the file's shutdown timeout.
  const exit = await ew.stop('SIGTERM');
  ew = undefined;
  expect(exit).toEqual({ code: 0, signal: null });
});
