/**
 * A Sentinel failover under a running service: a master, one replica and three Sentinels
 * (quorum 2), real redis-server processes. The master is killed (SIGKILL) while alerts wait in
 * the outbox for a retry; Sentinel promotes the replica; the service finds the new master by
 * itself, keeps taking points, and every alert is delivered: none lost, none raised twice.
 */
import { status } from '@grpc/grpc-js';
import type { Alert } from '../../src/core/alert';
import { reducerRequest } from '../helpers/otlp-fixtures';
import { startRedis, startSentinel, type RedisServer } from '../helpers/redis-server';
import { aligned, closeGrpcClients, getJson, grpcExport, startService, type Running } from '../helpers/service-harness';
import { WebhookReceiver } from '../helpers/webhook-receiver';

const NAME = 'ew-ha';

let master: RedisServer;
let replica: RedisServer;
const sentinels: RedisServer[] = [];
let hook: WebhookReceiver;
let ew: Running | undefined;

/** `redis-cli` answers of alternating field and value lines, as a record. */
function fields(text: string): Record<string, string> {
  const lines = text.trim().split('\n');
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) out[lines[i]] = lines[i + 1];
  return out;
}

const info = (server: RedisServer, section: string): string => server.cli('INFO', section);

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  master = await startRedis();
  replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  await until('the replica in sync', () => info(replica, 'replication').includes('master_link_status:up'));
  for (let i = 0; i < 3; i++) sentinels.push(await startSentinel(master.port, NAME, { quorum: 2, downAfterMs: 1000, failoverTimeoutMs: 5000 }));
  // Each Sentinel knows the replica and the two other Sentinels (hello messages, every 2 s).
  await until('the Sentinels to know each other and the replica', () =>
    sentinels.every((s) => {
      const m = fields(s.cli('SENTINEL', 'MASTER', NAME));
      return m['num-other-sentinels'] === '2' && m['num-slaves'] === '1';
    }),
  );
  hook = await WebhookReceiver.start();
}, 30_000);

afterAll(async () => {
  await ew?.stop();
  closeGrpcClients();
  await hook?.close();
  await Promise.all([...sentinels, replica, master].filter(Boolean).map((s) => s.dispose()));
});

const edges = (srcs: string[]): Buffer =>
  reducerRequest({ cluster: 'prod-eu', edges: srcs.map((src) => ({ src, dst: 'db' })), names: ['tcp.packets'], metricsPerRequest: srcs.length, timeMs: aligned(Date.now()) }).protobuf;

const requestsFor = (id: string): number => hook.requests.filter((r) => r.headers['x-edgewatch-alert-id'] === id).length;

test('master killed: Sentinel promotes the replica, the service carries on, every alert is delivered once', async () => {
  const svc = await startService({
    store: `redis-sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${NAME}`,
    webhookUrls: [hook.url()],
    stormMaxAlertsPerMinute: 0,
  });
  ew = svc;
  // Before: three alerts whose first delivery is told to come back in 4 s, so they wait in the
  // outbox (on the master, and replicated) when the master dies.
  const before = ['before-1', 'before-2', 'before-3'];
  hook.enqueue(...before.map(() => ({ status: 503, retryAfter: 4 })));
  expect((await grpcExport(svc.ports.grpc, edges(before))).code).toBe(status.OK);
  await hook.waitFor(3, 10_000);
  await until('the retries recorded', async () => {
    const alerts = await svc.svc.store.listAlerts(100);
    return alerts.length === 3 && alerts.every((a) => a.deliveries.every((d) => d.state === 'pending' && d.lastError !== null));
  });
  // Asynchronous replication: kill only once the replica has everything the master acknowledged.
  await until('the replica to have caught up', () => {
    const offset = /master_repl_offset:(\d+)/.exec(info(master, 'replication'))?.[1];
    return offset !== undefined && info(master, 'replication').includes(`offset=${offset},`);
  });

  await master.crash();
  await until('Sentinel to promote the replica', () =>
    sentinels.some((s) => s.cli('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', NAME).includes(String(replica.port))),
  );

  // After: the collector retries what is answered UNAVAILABLE until the service is back.
  const after = ['after-1', 'after-2', 'after-3'];
  let answer = await grpcExport(svc.ports.grpc, edges(after));
  const deadline = Date.now() + 15_000;
  while (answer.code !== status.OK) {
    expect(answer.code).toBe(status.UNAVAILABLE);
    if (Date.now() > deadline) throw new Error('the service never took points again after the failover');
    await new Promise((r) => setTimeout(r, 100));
    answer = await grpcExport(svc.ports.grpc, edges(after));
  }
  expect((await getJson(svc.ports.admin, '/readyz')).status).toBe(200);
  expect(info(replica, 'replication')).toContain('role:master');

  // Nothing lost: the waiting alerts and the new ones all reach the webhook…
  const alerts = await svc.svc.store.listAlerts(100);
  expect(alerts.map((a) => a.alert.source.workload).sort()).toEqual([...after, ...before].sort());
  const ids = alerts.map((a) => a.alert.id);
  const delivered = (): boolean => hook.requests.slice(3).length > 0 && ids.every((id) => hook.requests.slice(3).some((r) => r.headers['x-edgewatch-alert-id'] === id));
  await hook.waitUntil(delivered, 20_000, 'every alert delivered');
  await until('every delivery acknowledged', async () => (await svc.svc.store.listAlerts(100)).every((a) => a.deliveries.every((d) => d.state === 'delivered')));
  // …once each after their 503 (the new alerts were raised and acknowledged on the new master).
  for (const a of alerts) expect(requestsFor(a.alert.id)).toBe(before.includes(a.alert.source.workload) ? 2 : 1);
  expect(hook.requests.map((r) => (r.json as Alert).source.workload).filter((w) => after.includes(w)).sort()).toEqual(after);

  // The baseline survived the failover too: the same edges again raise nothing.
  expect((await grpcExport(svc.ports.grpc, edges([...before, ...after]))).code).toBe(status.OK);
  expect(await svc.svc.store.listAlerts(100)).toHaveLength(6);
});
