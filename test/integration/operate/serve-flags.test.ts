/**
 * `edgewatch serve` configured by command-line flags, one test per group of options: the built
 * service as a child process. Each test also sets the matching EDGEWATCH_* variables to other
 * values, so a pass shows the flag was read and wins over the environment (defaults ← file ←
 * env ← flags).
 */
import * as grpc from '@grpc/grpc-js';
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { Alert } from '../../../src/core/alert';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store';
import { reducerRequest, type FixtureEdge } from '../../helpers/otlp-fixtures';
import { startRedis } from '../../helpers/redis-server';
import { aligned, httpRequest, tempDir } from '../../helpers/service-harness';
import { makeTestPki, type CertPair, type TestPki } from '../../helpers/test-certs';
import { WebhookReceiver } from '../../helpers/webhook-receiver';
import { ensureBuilt, freePorts, httpStatus, logLines, startChild, type ChildPorts, type ChildService } from '../../helpers/child-service';

const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const MIN = 60_000;
const HOUR = 60 * MIN;

let tmp: ReturnType<typeof tempDir>;
let pki: TestPki;
let hook: WebhookReceiver;
const running: ChildService[] = [];

// Compiling dist/ (when sources changed) gets its own budget, not the hook's 30 s.
beforeAll(() => ensureBuilt(), 120_000);

beforeAll(async () => {
  tmp = tempDir('ew-flags-');
  pki = makeTestPki(tmp.dir);
  hook = await WebhookReceiver.start();
}, 60_000);

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  hook.reset();
});

afterAll(async () => {
  await hook.close();
  tmp.cleanup();
});

async function serve(flags: string[], env: Record<string, string> = {}, ports?: ChildPorts): Promise<ChildService> {
  const ew = await startChild({ env: { EDGEWATCH_STORE: 'memory:', ...env }, serveArgs: flags, ports });
  running.push(ew);
  return ew;
}

const body = (edges: FixtureEdge[], cluster = 'prod-eu', metricsPerRequest = edges.length): Buffer =>
  reducerRequest({ cluster, edges, names: ['tcp.packets'], metricsPerRequest, timeMs: aligned(Date.now()) }).protobuf;

function grpcSend(port: number, payload: Buffer, token?: string): Promise<grpc.status> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  const id = (b: Buffer): Buffer => b;
  return new Promise((resolve) =>
    client.makeUnaryRequest(EXPORT_PATH, id, id, payload, md, { deadline: Date.now() + 10_000 }, (err) => {
      client.close();
      resolve(err ? err.code : grpc.status.OK);
    }),
  );
}

const httpPost = async (port: number, payload: Buffer): Promise<number> =>
  (await httpRequest(port, 'POST', '/v1/metrics', payload, { 'Content-Type': 'application/x-protobuf' })).status;

interface ApiAlert {
  id: string;
  source: { workload: string };
  first_seen: string;
  deliveries: Array<{ sink: string; state: string }>;
}
async function apiAlerts(ew: ChildService, token?: string): Promise<ApiAlert[]> {
  const r = await httpRequest(ew.ports.admin, 'GET', '/api/v1/alerts?limit=1000', undefined, token ? { Authorization: `Bearer ${token}` } : {});
  expect(r.status).toBe(200);
  return (JSON.parse(r.body.toString('utf8')) as { alerts: ApiAlert[] }).alerts;
}
const alertOf = async (ew: ChildService, src: string): Promise<ApiAlert | undefined> => (await apiAlerts(ew)).find((a) => a.source.workload === src);

test('addresses: --otlp-grpc-addr, --otlp-http-addr, --admin-addr', async () => {
  const [g, h, a, dg, dh, da] = await freePorts(6);
  const ports = { grpc: g, http: h, admin: a };
  const decoy = { grpc: dg, http: dh, admin: da };
  const ew = await serve(
    ['--otlp-grpc-addr', `127.0.0.1:${ports.grpc}`, '--otlp-http-addr', `127.0.0.1:${ports.http}`, '--admin-addr', `127.0.0.1:${ports.admin}`],
    { EDGEWATCH_OTLP_GRPC_ADDR: `127.0.0.1:${decoy.grpc}`, EDGEWATCH_OTLP_HTTP_ADDR: `127.0.0.1:${decoy.http}`, EDGEWATCH_ADMIN_ADDR: `127.0.0.1:${decoy.admin}` },
    ports,
  );
  expect(await grpcSend(ports.grpc, body([{ src: 'via-grpc', dst: 'db' }]))).toBe(grpc.status.OK);
  expect(await httpPost(ports.http, body([{ src: 'via-http', dst: 'db' }]))).toBe(200);
  expect(await httpStatus(ports.admin, '/readyz')).toBe(200);
  expect((await apiAlerts(ew)).map((a) => a.source.workload).sort()).toEqual(['via-grpc', 'via-http']);
  // Nothing listens where the environment pointed.
  expect(await httpStatus(decoy.admin, '/healthz')).toBe(0);
  expect(await httpStatus(decoy.http, '/v1/metrics')).toBe(0);
});

test('store: --store sqlite:PATH', async () => {
  const db = join(tmp.dir, 'flag.db');
  const ew = await serve(['--store', `sqlite:${db}`], { EDGEWATCH_STORE: 'memory:' });
  expect(JSON.parse((await httpRequest(ew.ports.admin, 'GET', '/readyz')).body.toString())).toMatchObject({ store: 'sqlite' });
  expect(await grpcSend(ew.ports.grpc, body([{ src: 'kept', dst: 'db' }]))).toBe(grpc.status.OK);
  await running.splice(0)[0].stop();
  expect(existsSync(db)).toBe(true);
  const store = new SqliteStore(db);
  await store.init([]);
  expect((await store.listEdges({ limit: 10 })).map((e) => e.key.source)).toEqual(['kept']);
  await store.close();
});

test('store: --store redis://…, --redis-password, --redis-key-prefix', async () => {
  const redis = await startRedis();
  redis.cli('CONFIG', 'SET', 'requirepass', 'flag-pass'); // after start: the helper's readiness probe has no password
  try {
    const ew = await serve(['--store', `redis://127.0.0.1:${redis.port}`, '--redis-password', 'flag-pass', '--redis-key-prefix', 'flagged'], {
      EDGEWATCH_STORE: 'memory:',
      EDGEWATCH_REDIS_PASSWORD: 'env-pass',
      EDGEWATCH_REDIS_KEY_PREFIX: 'from-env',
    });
    expect(await grpcSend(ew.ports.grpc, body([{ src: 'in-redis', dst: 'db' }]))).toBe(grpc.status.OK);
    const keys = redis.cli('--no-auth-warning', '-a', 'flag-pass', '--scan').split('\n').filter((k) => k !== '');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.filter((k) => !k.startsWith('{flagged:'))).toEqual([]);
  } finally {
    await Promise.all(running.splice(0).map((c) => c.stop()));
    await redis.dispose();
  }
});

test('windows: --baseline-window, --detection-window, --learning-period, --clock-skew, --baseline-scope', async () => {
  const ew = await serve(
    ['--baseline-window', '1h', '--detection-window', '10m', '--learning-period', '0', '--clock-skew', '1m', '--baseline-scope', 'global', '--webhook-url', hook.url()],
    { EDGEWATCH_BASELINE_WINDOW: '30d', EDGEWATCH_DETECTION_WINDOW: '1h', EDGEWATCH_LEARNING_PERIOD: '24h', EDGEWATCH_CLOCK_SKEW: '5m', EDGEWATCH_BASELINE_SCOPE: 'cluster' },
  );
  const now = aligned(Date.now());
  const send = async (edges: FixtureEdge[], cluster = 'prod-eu'): Promise<void> => {
    expect(await grpcSend(ew.ports.grpc, body(edges, cluster))).toBe(grpc.status.OK);
  };
  // detection 10m: a point 20 min old is late (1h would alert).
  await send([{ src: 'late-20m', dst: 'db', timeMs: now - 20 * MIN }]);
  // baseline 1h: seen 2 h ago, then now → new again (30d would know it).
  await send([{ src: 'gap', dst: 'db', timeMs: now - 2 * HOUR }]);
  await send([{ src: 'gap', dst: 'db', timeMs: now }]);
  // scope global: the same pair in another cluster is known (cluster scope would alert).
  await send([{ src: 'roam', dst: 'db' }], 'prod-eu');
  await send([{ src: 'roam', dst: 'db' }], 'prod-us');
  // clock skew 1m: a point 4 min ahead is stamped with the receive time (5m would keep it).
  const ahead = now + 4 * MIN;
  await send([{ src: 'ahead', dst: 'db', timeMs: ahead }]);

  const alerts = await apiAlerts(ew); // final once the Export calls returned
  expect(alerts.map((a) => a.source.workload).sort()).toEqual(['ahead', 'gap', 'roam']); // learning 0: alerts at once
  expect(Date.parse(alerts.find((a) => a.source.workload === 'ahead')?.first_seen ?? '')).toBeLessThan(ahead);
  await hook.waitUntil((rs) => rs.some((r) => (r.json as Alert).source.workload === 'gap'), 10_000, 'the gap alert');
  const gap = hook.requests.map((r) => r.json as Alert).find((a) => a.source.workload === 'gap');
  expect(gap).toMatchObject({ previous_seen: new Date(now - 2 * HOUR).toISOString(), baseline_window_s: 3600, detection_window_s: 600 });

  // --learning-period 1h (the environment says 0): a new scope's first edges only teach.
  const learning = await serve(['--learning-period', '1h'], { EDGEWATCH_LEARNING_PERIOD: '0' });
  expect(await grpcSend(learning.ports.grpc, body([{ src: 'learnt', dst: 'db' }]))).toBe(grpc.status.OK);
  expect(await apiAlerts(learning)).toEqual([]);
});

test('sinks: --webhook-url, --webhook-secret', async () => {
  const envHook = await WebhookReceiver.start();
  try {
    const ew = await serve(['--webhook-url', hook.url('/from-flag'), '--webhook-secret', 'flag-secret'], {
      EDGEWATCH_WEBHOOK_URL: envHook.url('/from-env'),
      EDGEWATCH_WEBHOOK_SECRET: 'env-secret',
    });
    expect(await grpcSend(ew.ports.grpc, body([{ src: 'hooked', dst: 'db' }]))).toBe(grpc.status.OK);
    const [req] = await hook.waitFor(1, 10_000);
    expect(req.url).toBe('/from-flag');
    expect(req.headers['x-edgewatch-signature']).toBe(`sha256=${createHmac('sha256', 'flag-secret').update(req.rawBody).digest('hex')}`);
    // The flag's sink is the only one the alert is queued for: nothing will go to the env's URL.
    const alert = await alertOf(ew, 'hooked');
    expect(alert?.deliveries.map((d) => d.sink)).toEqual([`webhook:127.0.0.1:${new URL(hook.url()).port}/from-flag`]);
    expect(envHook.requests).toHaveLength(0);
  } finally {
    await envHook.close();
  }
});

test('auth: --auth-token, --admin-token', async () => {
  const ew = await serve(['--auth-token', 'flag-token', '--admin-token', 'flag-admin'], { EDGEWATCH_AUTH_TOKEN: 'env-token', EDGEWATCH_ADMIN_TOKEN: 'env-admin' });
  expect(await grpcSend(ew.ports.grpc, body([{ src: 'a', dst: 'db' }]), 'env-token')).toBe(grpc.status.UNAUTHENTICATED);
  expect(await grpcSend(ew.ports.grpc, body([{ src: 'a', dst: 'db' }]), 'flag-token')).toBe(grpc.status.OK);
  const api = (token: string): Promise<number> =>
    httpRequest(ew.ports.admin, 'GET', '/api/v1/alerts', undefined, { Authorization: `Bearer ${token}` }).then((r) => r.status);
  expect(await api('env-admin')).toBe(401);
  expect(await api('flag-admin')).toBe(200);
  expect((await apiAlerts(ew, 'flag-admin')).map((a) => a.source.workload)).toEqual(['a']);
});

/** POST over HTTPS trusting the test CA; the status, or the error code when there is none. */
function httpsPost(port: number, client?: CertPair): Promise<number | string> {
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1', port, method: 'POST', path: '/v1/metrics', agent: false, servername: 'localhost',
        headers: { 'Content-Type': 'application/x-protobuf' },
        ca: readFileSync(pki.caCert), cert: client ? readFileSync(client.cert) : undefined, key: client ? readFileSync(client.key) : undefined,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end(body([{ src: 'tls', dst: 'db' }]));
  });
}

test('TLS: --tls-cert-file, --tls-key-file, --tls-client-ca-file', async () => {
  const ew = await serve(['--tls-cert-file', pki.server.cert, '--tls-key-file', pki.server.key, '--tls-client-ca-file', pki.caCert, '--tls-reload-interval', '0']);
  expect(await httpsPost(ew.ports.http, pki.client)).toBe(200);
  expect(await httpsPost(ew.ports.http, pki.strangerClient)).toBe('ECONNRESET'); // mTLS: a foreign client certificate is refused
  expect(await httpPost(ew.ports.http, body([{ src: 'plain', dst: 'db' }])).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ECONNRESET');
});

test('limits and timers: --max-message-size, --max-inflight-requests, --prune-interval', async () => {
  const ew = await serve(
    ['--max-message-size', '2KiB', '--max-inflight-requests', '4', '--prune-interval', '200ms', '--baseline-window', '2m', '--detection-window', '1m'],
    { EDGEWATCH_MAX_MESSAGE_SIZE: '64MiB', EDGEWATCH_PRUNE_INTERVAL: '10m' },
  );
  const small = body([{ src: 'small', dst: 'db' }]);
  const big = body([{ src: 'big', dst: 'db' }], 'prod-eu', 40);
  expect(small.length).toBeLessThan(2048);
  expect(big.length).toBeGreaterThan(2048);
  expect(await httpPost(ew.ports.http, small)).toBe(200);
  expect(await httpPost(ew.ports.http, big)).toBe(413);
  expect(await grpcSend(ew.ports.grpc, big)).toBe(grpc.status.RESOURCE_EXHAUSTED);
  // A point 3 min old is past the 2 min baseline window: the 200 ms prune timer removes it.
  expect(await grpcSend(ew.ports.grpc, body([{ src: 'stale', dst: 'db', timeMs: aligned(Date.now()) - 3 * MIN }]))).toBe(grpc.status.OK);
  const deadline = Date.now() + 10_000;
  while (!logLines(ew.logs, 'pruned edges older than the baseline window').some((l) => Number(l.pruned) >= 1)) {
    if (Date.now() > deadline) throw new Error('the prune timer never pruned the stale edge');
    await new Promise((r) => setTimeout(r, 50));
  }
  const edges = JSON.parse((await httpRequest(ew.ports.admin, 'GET', '/api/v1/edges?limit=100')).body.toString()) as { edges: Array<{ source: string }> };
  expect(edges.edges.map((e) => e.source)).not.toContain('stale');
  // The inflight limit is read from the flag too: 0 is refused at start, naming the option.
  await expect(startChild({ env: { EDGEWATCH_STORE: 'memory:', EDGEWATCH_MAX_INFLIGHT_REQUESTS: '4' }, serveArgs: ['--max-inflight-requests', '0'], startTimeoutMs: 10_000 })).rejects.toThrow(
    /exit \{"code":2.*max_inflight_requests/s,
  );
});
