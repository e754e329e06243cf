/**
 * edgewatch on Redis as production runs it: replicas sharing one Redis alert exactly once, a
 * Redis outage loses nothing (OTLP answers UNAVAILABLE, the collector retries, the service
 * recovers by itself), and a replica killed with SIGKILL leaves no alert undelivered.
 */
import { status } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { reducerRequest, type FixtureEdge } from '../helpers/otlp-fixtures';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { aligned, closeGrpcClients, getJson, grpcExport, httpRequest, startService, type Running } from '../helpers/service-harness';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { ensureBuilt, startChild, type ChildService } from '../helpers/child-service';
import type { Alert } from '../../src/core/alert';

let redis: RedisServer;
let hook: WebhookReceiver;
const running: Running[] = [];
const children: ChildService[] = [];

function req(edges: FixtureEdge[]): Buffer {
  return reducerRequest({ cluster: 'prod-eu', edges, timeMs: aligned(Date.now()), metricsPerRequest: 240 }).protobuf;
}

/** Alert ids the webhook received, per source workload. */
function idsBySource(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of hook.requests) {
    const a = r.json as Alert;
    if (!out.has(a.source.workload)) out.set(a.source.workload, new Set());
    out.get(a.source.workload)?.add(a.id);
  }
  return out;
}

/** Like the collector's retry queue: resend on UNAVAILABLE until accepted. */
async function exportRetrying(port: number, body: Buffer, deadlineMs = 20_000): Promise<number> {
  const end = Date.now() + deadlineMs;
  let unavailable = 0;
  for (;;) {
    const r = await grpcExport(port, body);
    if (r.code === status.OK) return unavailable;
    if (r.code !== status.UNAVAILABLE || Date.now() > end) throw new Error(`export failed: ${r.code} ${r.details}`);
    unavailable++;
    await new Promise((res) => setTimeout(res, 100));
  }
}

// Compiling dist/ (when sources changed) must not eat into a test's own 30 s.
beforeAll(() => ensureBuilt(), 120_000);

beforeAll(async () => {
  // AOF with fsync always: a restarted Redis keeps its data, as a production Redis would.
  redis = await startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  hook = await WebhookReceiver.start();
});

afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  for (const c of children.splice(0)) await c.stop('SIGKILL');
  closeGrpcClients();
  hook.reset();
});

afterAll(async () => {
  await hook.close();
  await redis.dispose();
});

const prefix = (): string => `t${randomBytes(4).toString('hex')}`;

test('two replicas receiving the same traffic alert exactly once per new edge', async () => {
  const p = prefix();
  const cfg = { store: redis.url, redisKeyPrefix: p, webhookUrls: [hook.url()] };
  const a = await startService(cfg);
  const b = await startService(cfg);
  running.push(a, b);
  const sources: string[] = [];
  for (let i = 0; i < 6; i++) {
    const edges = [{ src: `rep-${i}-x`, dst: 'db' }, { src: `rep-${i}-y`, dst: 'db', proto: 'udp' as const }, { src: 'same-moment', dst: 'db' }];
    sources.push(edges[0].src, edges[1].src);
    const body = req(edges);
    const [ra, rb] = await Promise.all([grpcExport(a.ports.grpc, body), grpcExport(b.ports.grpc, body)]);
    expect([ra.code, rb.code]).toEqual([status.OK, status.OK]);
  }
  sources.push('same-moment');
  await hook.waitUntil(() => sources.every((s) => idsBySource().has(s)), 10_000, 'all alerts');
  // Not sent again, by positive signals: nothing pending in the shared outbox, and an alert
  // raised now is the next POST after the ones above.
  while (Object.values((await a.svc.store.outboxStats()).pending).some((n) => n > 0)) await new Promise((r) => setTimeout(r, 20));
  const sent = hook.requests.length;
  expect((await grpcExport(b.ports.grpc, req([{ src: 'after-all', dst: 'db' }]))).code).toBe(status.OK);
  await hook.waitUntil(() => idsBySource().has('after-all'), 10_000, 'the next alert');
  expect(hook.requests.slice(sent).map((r) => (r.json as { source: { workload: string } }).source.workload)).toEqual(['after-all']);
  const ids = idsBySource();
  for (const s of sources) expect([s, ids.get(s)?.size]).toEqual([s, 1]);
  expect(hook.requests).toHaveLength(sources.length + 1);
  const metrics = (await httpRequest(a.ports.admin, 'GET', '/metrics')).body.toString();
  expect(metrics).toMatch(/edgewatch_store_operation_duration_seconds_count\{[^}]*op="observe"[^}]*store="redis"/);
  expect(metrics).toMatch(/edgewatch_alerts_pending\{sink="webhook:[^"]+"\} 0/);
});

test('Redis stopped and restarted mid-stream: UNAVAILABLE, /readyz 503, recovery, every new edge alerted once', async () => {
  const ew = await startService({ store: redis.url, redisKeyPrefix: prefix(), webhookUrls: [hook.url()] });
  running.push(ew);
  const sources = Array.from({ length: 24 }, (_, i) => `outage-${i}`);
  let unavailable = 0;
  let readyDuringOutage = 0;
  for (const [i, src] of sources.entries()) {
    if (i === 8) {
      await redis.stop();
      readyDuringOutage = (await getJson(ew.ports.admin, '/readyz')).status;
      setTimeout(() => void redis.restart(), 1500);
    }
    unavailable += await exportRetrying(ew.ports.grpc, req([{ src, dst: 'api' }]));
  }
  expect(readyDuringOutage).toBe(503);
  expect(unavailable).toBeGreaterThan(0);
  expect((await getJson(ew.ports.admin, '/readyz')).status).toBe(200);
  await hook.waitUntil(() => sources.every((s) => idsBySource().has(s)), 15_000, 'all alerts after the outage');
  const ids = idsBySource();
  for (const s of sources) expect([s, ids.get(s)?.size]).toEqual([s, 1]);
});

test('a service started while Redis is down comes up, answers UNAVAILABLE, and recovers without a restart', async () => {
  await redis.stop();
  const ew = await startService({ store: redis.url, redisKeyPrefix: prefix(), webhookUrls: [hook.url()] });
  running.push(ew);
  expect((await getJson(ew.ports.admin, '/readyz')).status).toBe(503);
  expect((await grpcExport(ew.ports.grpc, req([{ src: 'cold-start', dst: 'db' }]))).code).toBe(status.UNAVAILABLE);
  await redis.restart();
  await exportRetrying(ew.ports.grpc, req([{ src: 'cold-start', dst: 'db' }]));
  await hook.waitUntil(() => idsBySource().has('cold-start'), 10_000, 'alert after cold start');
});

test('an instance killed with SIGKILL while alerts are pending: another instance delivers them', async () => {
  const p = prefix();
  const env = { EDGEWATCH_STORE: redis.url, EDGEWATCH_REDIS_KEY_PREFIX: p, EDGEWATCH_WEBHOOK_URL: hook.url(), EDGEWATCH_WEBHOOK_TIMEOUT: '1s', EDGEWATCH_LOG_LEVEL: 'warn' };
  hook.setDefault({ status: 200, delayMs: 60_000 }); // deliveries hang: alerts stay pending
  const a = await startChild({ env });
  children.push(a);
  const sources = Array.from({ length: 5 }, (_, i) => `killed-${i}`);
  expect((await grpcExport(a.ports.grpc, req(sources.map((src) => ({ src, dst: 'vault' }))))).code).toBe(status.OK);
  await hook.waitFor(1, 10_000);
  await a.stop('SIGKILL');
  hook.setDefault({ status: 200 });
  hook.reset();
  const b = await startChild({ env });
  children.push(b);
  await hook.waitUntil(() => sources.every((s) => idsBySource().has(s)), 20_000, 'alerts delivered by the survivor');
  const ids = idsBySource();
  for (const s of sources) expect(ids.get(s)?.size).toBe(1);
});
