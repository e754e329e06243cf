/**
 * SIGTERM on the built service under load: intake stops, requests in flight finish, batched
 * refreshes are flushed, deliveries in flight finish or go back to the outbox, the store is
 * closed, exit 0. Nothing acknowledged is lost: every edge of a request answered OK is in the
 * SQLite file, and every alert is delivered or still pending (and delivered after a restart).
 */
import * as grpc from '@grpc/grpc-js';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { reducerRequest } from '../../helpers/otlp-fixtures';
import { WebhookReceiver } from '../../helpers/webhook-receiver';
import { aligned, tempDir } from '../../helpers/service-harness';
import { ensureBuilt, startChild, type ChildService } from '../../helpers/child-service';

const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const CLUSTER = 'load';
const MINUTE = 60_000;

interface ApiAlert {
  id: string;
  source: { workload: string };
  deliveries: Array<{ sink: string; state: 'pending' | 'delivered' | 'failed' }>;
}
interface ApiEdge {
  source: string;
  last_seen: string;
}

let tmp: ReturnType<typeof tempDir>;
let hook: WebhookReceiver;

const edgeRequest = (src: string, timeMs = aligned(Date.now())): Buffer =>
  reducerRequest({ cluster: CLUSTER, edges: [{ src, dst: 'db' }], timeMs, metricsPerRequest: 8 }).protobuf;

function grpcSend(client: grpc.Client, body: Buffer): Promise<boolean> {
  const id = (b: Buffer): Buffer => b;
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT_PATH, id, id, body, new grpc.Metadata(), { deadline: Date.now() + 5000 }, (err) => resolve(err === null));
  });
}

function httpSend(port: number, agent: Agent, body: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/v1/metrics', agent, headers: { 'Content-Type': 'application/x-protobuf' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
    });
    req.on('error', () => resolve(false));
    req.end(body);
  });
}

async function getJson<T>(port: number, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T));
    })
      .on('error', reject)
      .end();
  });
}

/** Resolves once the child logged a line with this `msg`. */
async function waitForLog(ew: ChildService, msg: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ew.logs.some((l) => l.includes(`"msg":"${msg}"`))) {
    if (ew.proc.exitCode !== null) throw new Error(`exited before logging "${msg}"`);
    if (Date.now() > deadline) throw new Error(`no "${msg}" in the log`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function env(db: string, extra: Record<string, string> = {}): Record<string, string> {
  return { EDGEWATCH_STORE: `sqlite:${db}`, EDGEWATCH_WEBHOOK_URL: hook.url(), ...extra };
}

/** A restart of the service on `db` without a webhook: the old sink's outbox is read, not delivered. */
async function inspect(db: string): Promise<{ alerts: ApiAlert[]; edges: ApiEdge[] }> {
  const ew = await startChild({ env: { EDGEWATCH_STORE: `sqlite:${db}` } });
  try {
    const { alerts } = await getJson<{ alerts: ApiAlert[] }>(ew.ports.admin, '/api/v1/alerts?limit=100000');
    const { edges } = await getJson<{ edges: ApiEdge[] }>(ew.ports.admin, `/api/v1/edges?cluster=${CLUSTER}&limit=100000`);
    return { alerts, edges };
  } finally {
    await ew.stop();
  }
}

// Compiling dist/ (when sources changed) gets its own budget, not the hook's 30 s.
beforeAll(() => ensureBuilt(), 120_000);

beforeAll(async () => {
  tmp = tempDir('ew-shutdown-');
  hook = await WebhookReceiver.start();
}, 60_000);

afterAll(async () => {
  await hook.close();
  tmp.cleanup();
});

beforeEach(() => hook.reset());

test('SIGTERM mid-load: exit 0, no acknowledged point and no alert lost', async () => {
  const db = join(tmp.dir, 'load.db');
  // Slow enough that deliveries are in flight and a backlog waits when the signal comes.
  hook.setDefault({ status: 200, delayMs: 40 });
  // flush_interval 1h: the known edge's refresh below can only reach the file by the final flush.
  // The storm guard would fold most of these 240 alerts of one cluster into a summary: off here.
  const ew: ChildService = await startChild({
    env: env(db, { EDGEWATCH_FLUSH_INTERVAL: '1h', EDGEWATCH_DELIVERY_CONCURRENCY: '4', EDGEWATCH_SHUTDOWN_TIMEOUT: '10s', EDGEWATCH_STORM_MAX_ALERTS_PER_MINUTE: '0' }),
  });
  const t = aligned(Date.now());
  const client = new grpc.Client(`127.0.0.1:${ew.ports.grpc}`, grpc.credentials.createInsecure());
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  expect(await grpcSend(client, edgeRequest('refresh-me', t - 5 * MINUTE))).toBe(true);
  expect(await grpcSend(client, edgeRequest('refresh-me', t))).toBe(true); // a cache hit: a batched refresh

  const TOTAL = 240;
  const acked: string[] = [];
  let next = 0;
  let signalled = false;
  const worker = async (w: number): Promise<void> => {
    while (next < TOTAL) {
      const src = `load-${next++}`;
      const body = edgeRequest(src);
      const ok = w % 2 === 0 ? await grpcSend(client, body) : await httpSend(ew.ports.http, agent, body);
      if (ok) acked.push(src);
      if (!signalled && acked.length >= 80) {
        signalled = true;
        ew.proc.kill('SIGTERM');
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
  const exit = await ew.exited;
  client.close();
  agent.destroy();
  expect(signalled).toBe(true);
  expect(exit).toEqual({ code: 0, signal: null });
  expect(ew.logs.some((l) => l.includes('"edgewatch stopped"'))).toBe(true);
  const deliveredBeforeExit = new Set(hook.requests.map((r) => r.headers['x-edgewatch-alert-id'] as string));

  const { alerts, edges } = await inspect(db);
  // Every acknowledged request's edge is in the baseline…
  const inBaseline = new Set(edges.map((e) => e.source));
  expect(acked.filter((src) => !inBaseline.has(src))).toEqual([]);
  // …and raised an alert, now delivered (the receiver has it) or pending; none failed.
  const alertOf = new Map(alerts.map((a) => [a.source.workload, a]));
  expect(acked.filter((src) => !alertOf.has(src))).toEqual([]);
  const pending: string[] = [];
  for (const a of alerts) {
    expect(a.deliveries).toHaveLength(1);
    const state = a.deliveries[0].state;
    expect(state).not.toBe('failed');
    if (state === 'delivered') expect(deliveredBeforeExit.has(a.id)).toBe(true);
    else pending.push(a.id);
  }
  expect(acked.length).toBeGreaterThanOrEqual(80);
  // The batched refresh was flushed on the way out.
  expect(edges.find((e) => e.source === 'refresh-me')?.last_seen).toBe(new Date(t).toISOString());

  // Kept means delivered later: a restart with the same webhook sends every pending alert.
  hook.setDefault({ status: 200 });
  const again = await startChild({ env: env(db) });
  await hook.waitUntil((reqs) => pending.every((id) => reqs.some((r) => r.headers['x-edgewatch-alert-id'] === id)), 10_000, 'pending alerts after restart');
  expect((await again.stop()).code).toBe(0);
}, 60_000);

test('a delivery slower than shutdown_timeout is cut at the deadline and kept; exit 0', async () => {
  const db = join(tmp.dir, 'slow.db');
  // The webhook never answers, and its own timeout (1 min) is past this test: only the drain
  // deadline can end the delivery in flight.
  hook.setDefault({ status: 200, delayMs: 600_000 });
  const ew = await startChild({ env: env(db, { EDGEWATCH_SHUTDOWN_TIMEOUT: '1s', EDGEWATCH_WEBHOOK_TIMEOUT: '1m' }) });
  const client = new grpc.Client(`127.0.0.1:${ew.ports.grpc}`, grpc.credentials.createInsecure());
  expect(await grpcSend(client, edgeRequest('slow-hook'))).toBe(true);
  client.close();
  await hook.waitFor(1);
  const exit = await ew.stop('SIGTERM');
  expect(exit.code).toBe(0);
  // In this order: the deadline passed, the delivery was aborted, then the clean stop.
  const order = ['shutting down', 'drain deadline passed; aborting deliveries in flight', 'edgewatch stopped'].map((m) => ew.logs.findIndex((l) => l.includes(`"msg":"${m}"`)));
  expect(order.every((i) => i >= 0)).toBe(true);
  expect([...order].sort((a, b) => a - b)).toEqual(order);
  const { alerts } = await inspect(db);
  expect(alerts.find((a) => a.source.workload === 'slow-hook')?.deliveries[0].state).toBe('pending');
}, 30_000);

test('a second signal exits at once', async () => {
  const db = join(tmp.dir, 'twice.db');
  // Neither the webhook (never answers) nor the drain (20 s) ends by itself within this test.
  hook.setDefault({ status: 200, delayMs: 600_000 });
  const ew = await startChild({ env: env(db, { EDGEWATCH_SHUTDOWN_TIMEOUT: '20s', EDGEWATCH_WEBHOOK_TIMEOUT: '1m' }) });
  const client = new grpc.Client(`127.0.0.1:${ew.ports.grpc}`, grpc.credentials.createInsecure());
  expect(await grpcSend(client, edgeRequest('twice'))).toBe(true);
  client.close();
  await hook.waitFor(1);
  ew.proc.kill('SIGTERM');
  await waitForLog(ew, 'shutting down'); // the first signal is being handled: draining
  expect(ew.proc.exitCode).toBeNull();
  ew.proc.kill('SIGTERM');
  const exit = await ew.exited;
  expect(exit.code).toBe(143);
  expect(ew.logs.some((l) => l.includes('"msg":"second signal: exiting now"'))).toBe(true);
  // It did not wait for the drain: the clean stop never happened.
  expect(ew.logs.some((l) => l.includes('"msg":"edgewatch stopped"'))).toBe(false);
}, 30_000);
