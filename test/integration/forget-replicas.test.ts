/**
 * Forget is cluster-wide (issue 11 item 3): two edgewatch replicas on one store (a real
 * redis-server; one SQLite file), an edge known on both; forgotten through replica A's
 * `DELETE /api/v1/edges`, or with `edgewatch edges forget` on the store: the edge's next point
 * at replica B (or either) raises exactly one alert, once B has read the forget log at its
 * flush (flush_interval 100 ms here). The tests wait for that alert; they assert no time.
 */
import { status } from '@grpc/grpc-js';
import { Command } from 'commander';
import { join } from 'node:path';
import { addEdgesCommand } from '../../src/cli/edges';
import type { CliIo } from '../../src/cli/replay';
import type { Alert } from '../../src/core/alert';
import type { EdgeKey } from '../../src/core/edge';
import { reducerRequest } from '../helpers/otlp-fixtures';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { aligned, closeGrpcClients, grpcExport, httpRequest, startService, tempDir, type Running } from '../helpers/service-harness';
import { WebhookReceiver, type ReceivedRequest } from '../helpers/webhook-receiver';

const TOKEN = 'forget-admin-token';
const CLUSTER = 'prod-eu';
const edge = (source: string, dest: string): EdgeKey => ({ scope: CLUSTER, protocol: 'tcp', source, dest });

describe.each(['redis', 'sqlite'] as const)('forget across two replicas on one %s store', (kind) => {
  let redis: RedisServer | undefined;
  let tmp: ReturnType<typeof tempDir>;
  let storeUrl: string;
  let hook: WebhookReceiver;
  let a: Running;
  let b: Running;
  /** Point times only move forward: each send is a later point of the edge. */
  let clock = aligned(Date.now()) - 10 * 60_000;

  beforeAll(async () => {
    tmp = tempDir('ew-forget-');
    if (kind === 'redis') {
      redis = await startRedis();
      storeUrl = redis.url;
    } else {
      storeUrl = `sqlite:${join(tmp.dir, 'edges.db')}`;
    }
    hook = await WebhookReceiver.start();
    const cfg = { store: storeUrl, webhookUrls: [hook.url()], adminToken: TOKEN, flushIntervalMs: 100 };
    a = await startService(cfg, { consumerId: 'replica-a' });
    b = await startService(cfg, { consumerId: 'replica-b' });
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    closeGrpcClients();
    await hook?.close();
    await redis?.dispose();
    tmp?.cleanup();
  });

  async function send(to: Running, k: EdgeKey): Promise<void> {
    clock += 1_000;
    const body = reducerRequest({ cluster: CLUSTER, edges: [{ src: k.source, dst: k.dest, ns: 'shop' }], names: ['tcp.packets'], metricsPerRequest: 1, timeMs: clock }).protobuf;
    expect((await grpcExport(to.ports.grpc, body)).code).toBe(status.OK);
  }

  /** Alerts of the edge in the shared outbox (an OTLP answer comes after the store decided). */
  async function alertsOf(k: EdgeKey): Promise<number> {
    const stored = await a.svc.store.listAlerts(1000);
    return stored.filter(({ alert }) => alert.source.workload === k.source && alert.dest.workload === k.dest).length;
  }

  /** Known on both replicas: first seen (and alerted) through A, then a known point at B. */
  async function knownOnBoth(k: EdgeKey): Promise<void> {
    await send(a, k);
    await send(b, k);
    expect(await alertsOf(k)).toBe(1);
    expect(a.svc.detector.cache.get(k)).toBeDefined();
    expect(b.svc.detector.cache.get(k)).toBeDefined();
  }

  /** Points of the edge to `to` in turn, 50 ms apart, until one alerts; then more points alert no more. */
  async function nextPointsAlertOnce(k: EdgeKey, to: Running[], before: number): Promise<void> {
    for (let i = 0; (await alertsOf(k)) === before; i++) {
      if (i > 400) throw new Error(`no alert for ${k.source} → ${k.dest} after ${i} points`);
      await send(to[i % to.length], k);
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const r of [a, b, a, b]) await send(r, k);
    expect(await alertsOf(k)).toBe(before + 1);
    const delivered = (rs: ReceivedRequest[]): number => rs.filter((r) => (r.json as Alert).source.workload === k.source && (r.json as Alert).dest.workload === k.dest).length;
    await hook.waitUntil((rs) => delivered(rs) === before + 1, 10_000, `${before + 1} deliveries for ${k.source} → ${k.dest}`);
  }

  test("DELETE /api/v1/edges on replica A: the edge's next point at replica B raises exactly one alert", async () => {
    const k = edge('frontend', 'payments');
    await knownOnBoth(k);
    const path = `/api/v1/edges?cluster=${CLUSTER}&source=${k.source}&dest=${k.dest}&protocol=tcp`;
    const res = await httpRequest(a.ports.admin, 'DELETE', path, undefined, { Authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(200);
    expect(a.svc.detector.cache.get(k)).toBeUndefined(); // A at once; B at its next flush
    await nextPointsAlertOnce(k, [b], 1);
    const metrics = (await httpRequest(b.ports.admin, 'GET', '/metrics')).body.toString();
    expect(metrics).toMatch(/edgewatch_forgets_applied_total\{kind="edge"\} [1-9]/);
  });

  test("edgewatch edges forget (on the store, no replica asked): the edge's next point at either replica raises exactly one alert", async () => {
    const k = edge('checkout', 'ledger');
    await knownOnBoth(k);
    let out = '';
    const io: CliIo = { stdout: { write: (t: string) => (out += t) }, stderr: { write: () => true } };
    const program = new Command('edgewatch').exitOverride();
    addEdgesCommand(program, io);
    await program.parseAsync(['node', 'edgewatch', 'edges', 'forget', '--cluster', CLUSTER, '--source', k.source, '--dest', k.dest, '--protocol', 'tcp', '--store', storeUrl]);
    expect(out).toBe(`forgot ${CLUSTER} tcp ${k.source} → ${k.dest}\n`);
    await nextPointsAlertOnce(k, [b, a], 1);
  });
});
