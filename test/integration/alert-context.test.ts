/**
 * Alert context end to end (issue 12 item 1, "Done when" (a) and (c)): real services fed over
 * OTLP/gRPC, on SQLite and on two replicas sharing one real redis-server. History is sent as
 * points two hours old (late data: baseline only, no alert; learning_period 0), then the new
 * edge, and the webhook JSON is read.
 */
import { status } from '@grpc/grpc-js';
import { join } from 'node:path';
import type { Alert } from '../../src/core/alert';
import { reducerRequest, type FixtureEdge } from '../helpers/otlp-fixtures';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { aligned, closeGrpcClients, grpcExport, startService, tempDir, type Running } from '../helpers/service-harness';
import { WebhookReceiver } from '../helpers/webhook-receiver';

jest.setTimeout(30_000);

const H = 3_600_000;
let hook: WebhookReceiver;
let redis: RedisServer;
const tmp = tempDir('ew-context-');

beforeAll(async () => {
  hook = await WebhookReceiver.start();
  redis = await startRedis();
});

afterAll(async () => {
  closeGrpcClients();
  await hook.close();
  await redis.dispose();
  tmp.cleanup();
});

interface Setup {
  name: string;
  /** Two entry points: the same service twice (SQLite), or two replicas on one Redis. */
  start(): Promise<[Running, Running]>;
}

const SETUPS: Setup[] = [
  {
    name: 'SQLite',
    async start() {
      const ew = await startService({ store: `sqlite:${join(tmp.dir, 'ew.db')}`, webhookUrls: [hook.url()] });
      return [ew, ew];
    },
  },
  {
    name: 'two replicas sharing Redis',
    async start() {
      const cfg = { store: redis.url, redisKeyPrefix: 'ctx-it', webhookUrls: [hook.url()] };
      return [await startService(cfg), await startService(cfg)];
    },
  },
];

describe.each(SETUPS)('alert context on $name', (setup) => {
  let a: Running;
  let b: Running;
  let cluster: string;
  let now: number;

  beforeAll(async () => {
    [a, b] = await setup.start();
    cluster = `ctx-${setup.name.length}`;
    now = aligned(Date.now());
  });

  afterAll(async () => {
    await a.stop();
    if (b !== a) await b.stop();
  });

  async function send(to: Running, edges: FixtureEdge[]): Promise<void> {
    const body = reducerRequest({ cluster, edges, names: ['tcp.packets', 'udp.packets'], metricsPerRequest: edges.length, timeMs: now }).protobuf;
    expect((await grpcExport(to.ports.grpc, body)).code).toBe(status.OK);
  }
  const alertsOf = (pred: (a: Alert) => boolean): Alert[] =>
    hook.requests.map((r) => r.json as Alert).filter((x) => x.cluster === cluster && pred(x));
  async function waitFor(pred: (a: Alert) => boolean, n: number, what: string): Promise<Alert[]> {
    await hook.waitUntil(() => alertsOf(pred).length >= n, 10_000, what);
    return alertsOf(pred);
  }
  const iso = (ms: number): string => new Date(ms).toISOString();

  test('(a) a and b known for two hours with other peers, then a → b: new_path, high, both first-seen times and peers', async () => {
    const past = now - 2 * H;
    await send(a, [
      { src: 'a', dst: 'a-peer-1', timeMs: past },
      { src: 'a-peer-2', dst: 'a', timeMs: past + 30_000, proto: 'udp' },
      { src: 'b', dst: 'b-peer', timeMs: past + 60_000 },
    ]);
    await send(b, [{ src: 'a', dst: 'b' }]);
    const [alert] = await waitFor((x) => x.source.workload === 'a' && x.dest.workload === 'b', 1, 'the a → b alert');
    expect(alert.severity).toBe('high');
    expect(alert.context).toEqual({
      kind: 'new_path',
      source_first_seen: iso(past),
      dest_first_seen: iso(past + 60_000),
      source_peers: 2,
      dest_peers: 1,
      cross_namespace: false,
    });
    // History was late data: the only alert of these workloads is a → b.
    expect(alertsOf((x) => ['a', 'b', 'a-peer-2'].includes(x.source.workload))).toHaveLength(1);
  });

  test('(c) the same pair known on UDP, now TCP: new_protocol', async () => {
    await send(b, [{ src: 'dns-client', dst: 'resolver', proto: 'udp', timeMs: now - 2 * H }]);
    await send(a, [{ src: 'dns-client', dst: 'resolver', proto: 'tcp' }]);
    const [alert] = await waitFor((x) => x.source.workload === 'dns-client', 1, 'the TCP dns-client alert');
    expect(alert.protocol).toBe('tcp');
    expect(alert.severity).toBe('medium');
    expect(alert.context).toMatchObject({ kind: 'new_protocol', source_peers: 1, dest_peers: 1, source_first_seen: iso(now - 2 * H) });
  });

  test('a workload first seen now with 12 new peers (known for hours): 12 alerts, all new_workload, low', async () => {
    const peers = Array.from({ length: 12 }, (_, i) => `svc-${i}`);
    await send(a, peers.map((p, i) => ({ src: p, dst: 'db', timeMs: now - 2 * H + i * 30_000 })));
    await send(a, peers.slice(0, 6).map((p) => ({ src: 'rollout', dst: p })));
    await send(b, peers.slice(6).map((p) => ({ src: 'rollout', dst: p })));
    const got = await waitFor((x) => x.source.workload === 'rollout', 12, '12 rollout alerts');
    expect(got).toHaveLength(12);
    expect(new Set(got.map((x) => x.dest.workload))).toEqual(new Set(peers));
    for (const x of got) {
      expect(x.context?.kind).toBe('new_workload');
      expect(x.severity).toBe('low');
      expect(x.context?.dest_first_seen).not.toBeNull(); // the peers are long known, the source is new
      expect(x.context?.dest_peers).toBe(1);
    }
    // The first of the rollout's edges found the source never seen; later ones within the grace.
    expect(got.filter((x) => x.context?.source_first_seen === null).length).toBeGreaterThanOrEqual(1);
    expect(got.every((x) => x.context?.source_first_seen === null || x.context?.source_first_seen === iso(now))).toBe(true);
  });
});
