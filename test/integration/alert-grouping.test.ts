/**
 * Grouping per sink, end to end (issue 12, "Done when" (b)): a workload first seen now with 12
 * new peers makes 12 alerts, each its own in /api/v1/alerts, ONE Slack message listing the 12
 * edges, and 12 POSTs to the ungrouped webhook sink. The same with two replicas sharing one
 * real redis-server (the alerts land in different shards and on different replicas), and with
 * the replica holding the group stopped in the middle of its wait: still exactly one message.
 */
import { status } from '@grpc/grpc-js';
import { Writable } from 'node:stream';
import { sinkLeaseName } from '../../src/alert/grouping-pump';
import type { SinkConfig } from '../../src/config/sinks-config';
import type { Alert } from '../../src/core/alert';
import { RedisKeys } from '../../src/store/redis/keys';
import { createLogger, type Logger } from '../../src/telemetry/logger';
import { reducerRequest } from '../helpers/otlp-fixtures';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { aligned, closeGrpcClients, getJson, grpcExport, httpRequest, startService, tempDir, type Running } from '../helpers/service-harness';
import { WebhookReceiver, type ReceivedRequest } from '../helpers/webhook-receiver';

interface ApiAlert extends Alert {
  deliveries: Array<{ sink: string; state: string }>;
}

const SLACK = 'slack';
const PEERS = Array.from({ length: 12 }, (_, i) => `peer-${String(i).padStart(2, '0')}`);

let slack: WebhookReceiver;
let hook: WebhookReceiver;
const running: Running[] = [];

beforeEach(async () => {
  [slack, hook] = await Promise.all([WebhookReceiver.start(), WebhookReceiver.start()]);
  slack.setDefault({ status: 200, body: 'ok', headers: { 'Content-Type': 'text/plain' } });
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
  closeGrpcClients();
  await Promise.all([slack.close(), hook.close()]);
});

function slackSink(waitMs: number): SinkConfig {
  return { type: 'slack', name: SLACK, url: slack.url('/services/T000/B000/XXXX'), grouping: { by: ['cluster', 'source.workload'], waitMs } };
}

async function replica(store: string, waitMs: number, extra: { consumerId?: string; logger?: Logger; redisKeyPrefix?: string } = {}): Promise<Running> {
  const { consumerId, logger, ...cfg } = extra;
  const r = await startService(
    // No learning period (startService), no storm cap: every one of the 12 edges must alert.
    { store, stormMaxAlertsPerMinute: 0, webhookUrls: [hook.url('/hook')], sinks: [slackSink(waitMs)], ...cfg },
    { consumerId, logger },
  );
  running.push(r);
  return r;
}

/** The new workload's first points: one edge to each of `peers`, in one reducer request. */
async function firstConnections(r: Running, peers: string[]): Promise<void> {
  const edges = peers.map((dst) => ({ src: 'rollout', dst, ns: 'shop' }));
  const body = reducerRequest({ cluster: 'prod-eu', edges, names: ['tcp.packets'], metricsPerRequest: edges.length, timeMs: aligned(Date.now()) }).protobuf;
  expect((await grpcExport(r.ports.grpc, body)).code).toBe(status.OK);
}

async function alertsOf(r: Running): Promise<ApiAlert[]> {
  return (await getJson<{ alerts: ApiAlert[] }>(r.ports.admin, '/api/v1/alerts?limit=100')).json.alerts.filter((a) => a.source.workload === 'rollout');
}

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every alert's delivery to `sink` is settled as delivered: nothing is left that could be sent again. */
const allDelivered = async (r: Running, sink: string): Promise<boolean> => {
  const alerts = await alertsOf(r);
  return alerts.length === PEERS.length && alerts.every((a) => a.deliveries.find((d) => d.sink === sink)?.state === 'delivered');
};

type SlackBody = { text: string; blocks: Array<{ type: string; text?: { text: string } }> };

/** The one Slack message: 12 edges from `rollout`, every peer named, every alert id in the header. */
function expectOneGroupMessage(alerts: ApiAlert[]): void {
  expect(slack.requests).toHaveLength(1);
  const [msg] = slack.requests as [ReceivedRequest];
  const body = msg.json as SlackBody;
  expect(body.blocks[0].text?.text).toBe('12 newly seen edges from rollout in cluster prod-eu');
  const lines = (body.blocks[2].text?.text ?? '').split('\n');
  expect(lines).toHaveLength(12);
  for (const peer of PEERS) expect(lines.some((l) => l.startsWith(`• → \`${peer}\` (namespace \`shop\`) over TCP`))).toBe(true);
  expect(new Set(String(msg.headers['x-edgewatch-alert-id']).split(','))).toEqual(new Set(alerts.map((a) => a.id)));
  expect(msg.headers['x-edgewatch-group-id']).toMatch(/^grp-[0-9a-f]{24}$/);
}

/** 12 alerts, each with its own id, kind new_workload; the webhook got each on its own. */
function expectTwelveAlerts(alerts: ApiAlert[]): void {
  expect(alerts).toHaveLength(12);
  expect(new Set(alerts.map((a) => a.id)).size).toBe(12);
  expect(new Set(alerts.map((a) => a.dest.workload))).toEqual(new Set(PEERS));
  expect(alerts.every((a) => a.context?.kind === 'new_workload')).toBe(true);
  const hooked = hook.requests.map((r) => r.json as Alert);
  expect(hooked).toHaveLength(12);
  expect(new Set(hooked.map((a) => a.id))).toEqual(new Set(alerts.map((a) => a.id)));
  expect(hook.requests.every((r) => r.headers['x-edgewatch-alert-id'] === (r.json as Alert).id)).toBe(true);
}

test('SQLite: 12 new peers of a new workload are 12 alerts, one Slack message, 12 webhook POSTs', async () => {
  const { dir, cleanup } = tempDir('ew-grouping-');
  try {
    const r = await replica(`sqlite:${dir}/ew.db`, 1000);
    await firstConnections(r, PEERS);
    await hook.waitFor(12, 20_000);
    await eventually(() => allDelivered(r, SLACK));
    const alerts = await alertsOf(r);
    expectTwelveAlerts(alerts);
    expectOneGroupMessage(alerts);
    const metrics = (await httpRequest(r.ports.admin, 'GET', '/metrics')).body.toString('utf8');
    expect(metrics).toMatch(/edgewatch_alert_groups_sent_total\{sink="slack"\} 1\b/);
    expect(metrics).toMatch(/edgewatch_alerts_sent_total\{sink="slack"\} 12\b/);
  } finally {
    await Promise.all(running.splice(0).map((x) => x.stop()));
    cleanup();
  }
});

describe('two replicas on one redis-server', () => {
  let redis: RedisServer;
  let seq = 0;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis.dispose();
  });

  const prefix = (): string => `grp${process.pid}-${++seq}`;
  const leaseOwner = (p: string): string => redis.cli('GET', new RedisKeys(p).lease(sinkLeaseName(SLACK))).trim();

  test('half the peers reach each replica: still one Slack message with all 12 edges', async () => {
    const p = prefix();
    // Long enough that the lease holder's next poll (1 s) picks up what the other replica enqueued.
    const [a, b] = await Promise.all([replica(redis.url, 4000, { redisKeyPrefix: p, consumerId: 'replica-a' }), replica(redis.url, 4000, { redisKeyPrefix: p, consumerId: 'replica-b' })]);
    await Promise.all([firstConnections(a, PEERS.slice(0, 6)), firstConnections(b, PEERS.slice(6))]);
    await hook.waitFor(12, 20_000);
    await eventually(() => allDelivered(a, SLACK));
    const alerts = await alertsOf(b);
    expectTwelveAlerts(alerts);
    expectOneGroupMessage(alerts);
    expect(['replica-a', 'replica-b']).toContain(leaseOwner(p));
  });

  test('the replica holding the group is stopped in the middle of its wait: the other sends it, once', async () => {
    const p = prefix();
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        cb();
      },
    });
    // A waits a minute, so it is surely still waiting when it stops; B, taking over, 1 s (long past by then).
    const a = await replica(redis.url, 60_000, { redisKeyPrefix: p, consumerId: 'replica-a', logger: createLogger('debug', stream) });
    await eventually(() => leaseOwner(p) === 'replica-a');
    const b = await replica(redis.url, 1000, { redisKeyPrefix: p, consumerId: 'replica-b' });
    await firstConnections(b, PEERS);
    await eventually(() => lines.some((l) => l.msg === 'alerts held for their group' && l.sink === SLACK && l.held === 12));
    await hook.waitFor(12, 20_000);
    expect(slack.requests).toHaveLength(0);
    await a.stop();
    running.splice(running.indexOf(a), 1);
    expect(lines.some((l) => l.msg === 'alerts waiting for their group handed back to the outbox' && l.alerts === 12)).toBe(true);
    await eventually(() => allDelivered(b, SLACK));
    const alerts = await alertsOf(b);
    expectTwelveAlerts(alerts);
    expectOneGroupMessage(alerts);
    expect(leaseOwner(p)).toBe('replica-b');
  });
});
