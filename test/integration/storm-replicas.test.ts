/**
 * The storm guard across replicas (issue 11): two built edgewatch processes on one real Redis,
 * cap 10, 60 new edges of one cluster in one window spread over both: 10 alerts and one summary
 * of 50 in total — and the same when one replica is SIGKILLed in the middle and restarted:
 * nothing lost, no edge counted twice. The window is shortened (hidden stormWindowMs) so a test
 * need not wait for a minute to end.
 */
import { status } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Alert } from '../../src/core/alert';
import { webhookSinkName } from '../../src/alert/webhook-sink';
import { RedisStore } from '../../src/store/redis/redis-store';
import { alertDraft, key } from '../conformance/store-conformance';
import { ensureBuilt, ROOT, startChild, type ChildService } from '../helpers/child-service';
import { serviceNodeFlags } from '../helpers/node-flags';
import { reducerRequest, type FixtureEdge } from '../helpers/otlp-fixtures';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { closeGrpcClients, getJson, grpcExport, type GrpcAnswer } from '../helpers/service-harness';
import { WebhookReceiver } from '../helpers/webhook-receiver';

jest.setTimeout(60_000);

const WINDOW_MS = 8000;
const CAP = 10;
const STORM = 'kubernetes_newly_seen_edge_storm';

/**
 * The built service with one setting the configuration does not offer: a storm window of
 * EW_TEST_STORM_WINDOW_MS instead of a minute. Everything else as `serve` runs it.
 */
const SERVE_WITH_SHORT_WINDOW = `
  const { loadConfig } = require(${JSON.stringify(join(ROOT, 'dist/config/config.js'))});
  const { EdgewatchService } = require(${JSON.stringify(join(ROOT, 'dist/service.js'))});
  const cfg = Object.freeze({ ...loadConfig(), stormWindowMs: Number(process.env.EW_TEST_STORM_WINDOW_MS) });
  const svc = new EdgewatchService(cfg);
  svc.start().catch((err) => { console.error(err); process.exit(1); });
  process.once('SIGTERM', () => svc.stop().then(() => process.exit(0)));
`;

let redis: RedisServer;
let hook: WebhookReceiver;
const children: ChildService[] = [];

beforeAll(() => ensureBuilt(), 120_000);
beforeAll(async () => {
  redis = await startRedis();
  hook = await WebhookReceiver.start();
});
afterEach(async () => {
  for (const c of children.splice(0)) await c.stop('SIGKILL');
  closeGrpcClients();
});
afterAll(async () => {
  await hook?.close();
  await redis?.dispose();
});

function replicaEnv(prefix: string): Record<string, string> {
  return {
    EDGEWATCH_STORE: redis.url,
    EDGEWATCH_REDIS_KEY_PREFIX: prefix,
    EDGEWATCH_WEBHOOK_URL: hook.url(),
    // A short delivery timeout keeps the lease of a killed replica's deliveries short.
    EDGEWATCH_WEBHOOK_TIMEOUT: '1s',
    EDGEWATCH_STORM_MAX_ALERTS_PER_MINUTE: String(CAP),
    EW_TEST_STORM_WINDOW_MS: String(WINDOW_MS),
    EDGEWATCH_LOG_LEVEL: 'warn',
  };
}

async function replica(prefix: string): Promise<ChildService> {
  const c = await startChild({ env: replicaEnv(prefix), argv: [...serviceNodeFlags(), '-e', SERVE_WITH_SHORT_WINDOW] });
  children.push(c);
  return c;
}

/** Returns once at least `needMs` of the current storm window (Redis TIME = this machine's clock) are left. */
async function roomInWindow(needMs: number): Promise<void> {
  const left = WINDOW_MS - (Date.now() % WINDOW_MS);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 20));
}

const edges = (from: number, n: number): FixtureEdge[] => Array.from({ length: n }, (_, i) => ({ src: `storm-${from + i}`, dst: 'db' }));

function send(c: ChildService, cluster: string, batch: FixtureEdge[]): Promise<GrpcAnswer> {
  return grpcExport(c.ports.grpc, reducerRequest({ cluster, edges: batch, names: ['tcp.packets'], metricsPerRequest: batch.length, timeMs: Date.now() }).protobuf);
}

/** What the webhook got for `cluster`: distinct edge alerts (delivery is at least once), and summaries by id. */
function received(cluster: string): { alerts: Map<string, Alert>; summaries: Map<string, Alert> } {
  const alerts = new Map<string, Alert>();
  const summaries = new Map<string, Alert>();
  for (const r of hook.requests) {
    const a = r.json as Alert;
    if (a.cluster !== cluster) continue;
    (a.rule === STORM ? summaries : alerts).set(a.id, a);
  }
  return { alerts, summaries };
}

const heldTotal = (summaries: Map<string, Alert>): number => [...summaries.values()].reduce((n, s) => n + (s.held_back ?? 0), 0);

/** Waits for 10 alerts and 50 held back, then a little longer: nothing more may come. */
async function expectTenAlertsAndOneSummaryOfFifty(cluster: string, admin: number): Promise<void> {
  await hook.waitUntil(() => {
    const got = received(cluster);
    return got.alerts.size >= CAP && heldTotal(got.summaries) >= 60 - CAP;
  }, 40_000, `${CAP} alerts and a summary of ${60 - CAP}`);
  await new Promise((r) => setTimeout(r, 1500));
  const { alerts, summaries } = received(cluster);
  expect(alerts.size).toBe(CAP);
  expect(new Set([...alerts.values()].map((a) => a.source.workload)).size).toBe(CAP);
  expect(summaries.size).toBe(1);
  const [s] = [...summaries.values()];
  expect(s).toMatchObject({ cluster, protocol: 'tcp', held_back: 60 - CAP, held_back_by_protocol: { tcp: 60 - CAP } });
  expect(Date.parse(s.window_end ?? '') - Date.parse(s.window_start ?? '')).toBe(WINDOW_MS);
  // Every edge is in the baseline, so each is either alerted or counted in the summary.
  const { json } = await getJson<{ edges: Array<{ source: string }> }>(admin, `/api/v1/edges?cluster=${cluster}&limit=1000`);
  expect(new Set(json.edges.map((e) => e.source))).toEqual(new Set(edges(0, 60).map((e) => e.src)));
}

test('two replicas, cap 10, 60 new edges in one window spread over both: 10 alerts and one summary of 50', async () => {
  const prefix = `sr-${randomBytes(4).toString('hex')}`;
  const [a, b] = await Promise.all([replica(prefix), replica(prefix)]);
  await roomInWindow(3000);
  const answers = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => send(i % 2 ? b : a, 'prod-eu', edges(10 * i, 10))));
  expect(answers.map((r) => r.code)).toEqual(answers.map(() => status.OK));
  await expectTenAlertsAndOneSummaryOfFifty('prod-eu', a.ports.admin);
});

/**
 * A replica that dies right after step 1 of a storm decision (redis-storm.ts): its new edges are
 * recorded and their alerts parked, nothing more. A SIGKILL hits that moment only by chance, so
 * the test also leaves such parks on purpose, through the store's test-only `parkOnly`.
 */
async function crashAfterParking(prefix: string, cluster: string, batch: FixtureEdge[]): Promise<void> {
  const store = new RedisStore(redis.url, { redisKeyPrefix: prefix });
  await store.init([webhookSinkName(hook.url())]);
  const now = Date.now();
  const sightings = batch.map((e) => {
    const k = key(e.src, e.dst, { scope: cluster });
    return { key: k, firstMs: now, lastMs: now, alert: alertDraft(k, now) };
  });
  const outs = await store.observe(sightings, 30 * 86_400_000, { maxPerWindow: CAP, windowMs: WINDOW_MS, parkOnly: true });
  expect(outs.every((o) => o.isNew && !o.alerted && o.heldBack === undefined)).toBe(true);
  await store.close();
}

test('the same with one replica SIGKILLed in the middle of the window and restarted: nothing lost, nothing counted twice', async () => {
  const prefix = `sr-${randomBytes(4).toString('hex')}`;
  const cluster = 'prod-kill';
  const [a, b] = await Promise.all([replica(prefix), replica(prefix)]);
  await roomInWindow(5000);
  // First, a replica that crashed between steps: the survivors' sweepers must finish its 5 parks.
  await crashAfterParking(prefix, cluster, edges(0, 5));
  expect((await Promise.all([send(a, cluster, edges(5, 5)), send(b, cluster, edges(10, 10))])).map((r) => r.code)).toEqual([status.OK, status.OK]);
  // Killed while it decides a batch: whatever it had done is in Redis, the rest never happened.
  const inFlight = send(b, cluster, edges(20, 20));
  await new Promise((r) => setTimeout(r, 3));
  await b.stop('SIGKILL');
  await inFlight;
  const restarted = await replica(prefix);
  // The collector retries the batch it got no answer for (a replay of an answered one is harmless too).
  expect((await send(restarted, cluster, edges(20, 20))).code).toBe(status.OK);
  const rest = await Promise.all([send(a, cluster, edges(40, 10)), send(restarted, cluster, edges(50, 10))]);
  expect(rest.map((r) => r.code)).toEqual([status.OK, status.OK]);
  await expectTenAlertsAndOneSummaryOfFifty(cluster, a.ports.admin);
});
