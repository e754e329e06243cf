/**
 * The grouping pump against a real SQLite file and a real HTTP receiver: one request per group,
 * every entry acknowledged, retried or failed together; a holder that dies (its store gone,
 * nothing released) hands over to another consumer once its leases run out, and the group is
 * still sent once.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { GroupingSpec } from '../../src/alert/alert-group';
import { AlertDispatcher, type DispatcherOptions } from '../../src/alert/dispatcher';
import { FilteredSink } from '../../src/alert/filtered-sink';
import type { Sink } from '../../src/alert/sink';
import { WebhookSink, type WebhookGroupBody } from '../../src/alert/webhook-sink';
import type { AlertDraft } from '../../src/core/alert';
import { alertId, type EdgeKey } from '../../src/core/edge';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import type { BaselineStore } from '../../src/store/store';
import { createLogger, type Logger } from '../../src/telemetry/logger';
import { Telemetry } from '../../src/telemetry/metrics';
import { WebhookReceiver, type ReceivedRequest } from '../helpers/webhook-receiver';

const HOUR = 3_600_000;
const FAST: Omit<DispatcherOptions, 'consumerId'> = {
  concurrency: 4,
  deadlineMs: 60_000,
  timeoutMs: 300,
  leaseMs: 800,
  pollIntervalMs: 50,
  // Long enough that a loaded machine's pauses never let it lapse while held.
  sinkLeaseMs: 3000,
  backoff: { baseMs: 40, capMs: 200 },
};
const BY_SOURCE: GroupingSpec = { by: ['cluster', 'source.workload'], waitMs: 300 };

const dir = mkdtempSync(join(tmpdir(), 'edgewatch-grouping-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let dbSeq = 0;

function draftFor(key: EdgeKey, firstMs: number): AlertDraft {
  return {
    id: alertId(key, firstMs),
    rule: 'kubernetes_newly_seen_tcp_edge',
    title: `Kubernetes newly seen TCP edge in kubernetes cluster ${key.scope}`,
    cluster: key.scope,
    protocol: key.protocol,
    source: { workload: key.source, namespace: 'shop' },
    dest: { workload: key.dest, namespace: 'shop' },
    first_seen: new Date(firstMs).toISOString(),
    detected_at: new Date().toISOString(),
    risk_score: 25,
    impact: 50,
    confidence: 50,
    mitre_attack: ['T1204'],
    baseline_window_s: 3600,
    detection_window_s: 3600,
    attributes: {},
  };
}

let peerSeq = 0;
/** `n` new edges from `source` to new peers, through observe() as the detector does. */
async function newPeers(store: BaselineStore, source: string, n: number, cluster = 'prod-eu'): Promise<string[]> {
  const now = Date.now() - 1000;
  const sightings = Array.from({ length: n }, () => {
    const key: EdgeKey = { scope: cluster, protocol: 'tcp', source, dest: `peer-${++peerSeq}` };
    return { key, firstMs: now, lastMs: now, alert: draftFor(key, now) };
  });
  const out = await store.observe(sightings, HOUR);
  expect(out.every((o) => o.alerted)).toBe(true);
  return sightings.map((s) => s.alert.id);
}

async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function captureLogs(): { lines: Array<Record<string, unknown>>; logger: Logger } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      cb();
    },
  });
  return { lines, logger: createLogger('debug', stream) };
}

const bodyOf = (r: ReceivedRequest): WebhookGroupBody => r.json as WebhookGroupBody;
const idsOf = (r: ReceivedRequest): string[] => bodyOf(r).alerts.map((a) => a.id);

async function deliveries(store: BaselineStore, sink: string): Promise<Map<string, { state: string; attempts: number; lastError: string | null }>> {
  const out = new Map<string, { state: string; attempts: number; lastError: string | null }>();
  for (const a of await store.listAlerts(1000)) {
    const d = a.deliveries.find((x) => x.sink === sink);
    if (d) out.set(a.alert.id, d);
  }
  return out;
}

async function allIn(store: BaselineStore, sink: string, ids: string[], state: string): Promise<boolean> {
  const d = await deliveries(store, sink);
  return ids.every((id) => d.get(id)?.state === state);
}

async function scrape(telemetry: Telemetry): Promise<string> {
  const server = createServer((req, res) => telemetry.handlePrometheus(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    return await (await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`)).text();
  } finally {
    server.close();
  }
}

describe('grouping pump (sqlite)', () => {
  let path: string;
  let store: BaselineStore;
  let receiver: WebhookReceiver;
  let telemetry: Telemetry;
  let logs: ReturnType<typeof captureLogs>;
  const dispatchers: AlertDispatcher[] = [];
  const stores: BaselineStore[] = [];

  beforeEach(async () => {
    path = join(dir, `g-${++dbSeq}.db`);
    store = new SqliteStore(path);
    stores.push(store);
    receiver = await WebhookReceiver.start();
    telemetry = new Telemetry();
    logs = captureLogs();
  });

  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((d) => d.stop(50)));
    await Promise.all(stores.splice(0).map((s) => s.close()));
    await receiver.close();
    await telemetry.shutdown();
  });

  const grouped = (grouping: GroupingSpec = BY_SOURCE, secret?: string): WebhookSink =>
    new WebhookSink({ url: receiver.url('/hook'), name: 'grouped', timeoutMs: FAST.timeoutMs, secret, grouping });

  async function dispatcher(sinks: Sink[], opts: Partial<DispatcherOptions> = {}, on: BaselineStore = store): Promise<AlertDispatcher> {
    await on.init(sinks.map((s) => s.name));
    const d = new AlertDispatcher(on, sinks, { consumerId: `c-${dispatchers.length}`, ...FAST, ...opts }, telemetry, logs.logger);
    dispatchers.push(d);
    await d.start();
    return d;
  }

  it('refuses a group_wait not shorter than delivery_deadline (a failed group would get no retry)', async () => {
    await expect(dispatcher([grouped({ by: ['cluster'], waitMs: FAST.deadlineMs })])).rejects.toThrow(/group_wait of sink grouped/);
  });

  it('one POST per group, listing its alerts; every entry acknowledged; counted', async () => {
    const d = await dispatcher([grouped()]);
    const frontend = await newPeers(store, 'frontend', 12);
    const checkout = await newPeers(store, 'checkout', 3);
    d.notify();
    await eventually(() => allIn(store, 'grouped', [...frontend, ...checkout], 'delivered'));
    expect(receiver.requests).toHaveLength(2);
    const bySource = new Map(receiver.requests.map((r) => [bodyOf(r).group.keys['source.workload'], r]));
    expect(new Set(idsOf(bySource.get('frontend') as ReceivedRequest))).toEqual(new Set(frontend));
    expect(new Set(idsOf(bySource.get('checkout') as ReceivedRequest))).toEqual(new Set(checkout));
    const r = bySource.get('frontend') as ReceivedRequest;
    expect(bodyOf(r).group).toEqual({ id: r.headers['x-edgewatch-group-id'], keys: { cluster: 'prod-eu', 'source.workload': 'frontend' }, count: 12 });
    expect(String(r.headers['x-edgewatch-alert-id']).split(',')).toEqual(idsOf(r));
    const metrics = await scrape(telemetry);
    expect(metrics).toMatch(/edgewatch_alert_groups_sent_total\{sink="grouped"\} 2/);
    expect(metrics).toMatch(/edgewatch_alerts_sent_total\{sink="grouped"\} 15/);
    expect(logs.lines.filter((l) => l.msg === 'alert group delivered')).toHaveLength(2);
  });

  it('waits group_wait from the oldest alert: alerts enqueued during the wait join its group', async () => {
    const d = await dispatcher([grouped({ by: ['cluster'], waitMs: 3000 })]);
    const first = await newPeers(store, 'a', 1);
    d.notify();
    await eventually(() => logs.lines.some((l) => l.msg === 'alerts held for their group'));
    const later = [...(await newPeers(store, 'b', 2)), ...(await newPeers(store, 'c', 2))];
    d.notify();
    await eventually(() => allIn(store, 'grouped', [...first, ...later], 'delivered'));
    expect(receiver.requests).toHaveLength(1);
    expect(new Set(idsOf(receiver.requests[0]))).toEqual(new Set([...first, ...later]));
  });

  it('a retryable failure retries the whole group; the retry carries the same group and ids', async () => {
    receiver.enqueue({ status: 503 });
    const d = await dispatcher([grouped()]);
    const ids = await newPeers(store, 'frontend', 5);
    d.notify();
    await eventually(() => allIn(store, 'grouped', ids, 'delivered'));
    expect(receiver.requests).toHaveLength(2);
    const [failed, ok] = receiver.requests;
    expect(ok.headers['x-edgewatch-group-id']).toBe(failed.headers['x-edgewatch-group-id']);
    expect(new Set(idsOf(ok))).toEqual(new Set(ids));
    expect([...(await deliveries(store, 'grouped')).values()].every((x) => x.attempts === 2 && x.lastError === 'HTTP 503')).toBe(true);
  });

  it('a permanent failure fails every alert of the group', async () => {
    receiver.setDefault({ status: 400, body: 'no' });
    const d = await dispatcher([grouped()]);
    const ids = await newPeers(store, 'frontend', 4);
    d.notify();
    await eventually(() => allIn(store, 'grouped', ids, 'failed'));
    expect(receiver.requests).toHaveLength(1);
    expect((await store.outboxStats()).failed.grouped).toBe(4);
  });

  it("alerts the sink's filter does not want are acknowledged at once, without waiting or sending", async () => {
    const sink = new FilteredSink(grouped({ by: ['cluster'], waitMs: 30_000 }), { clusters: ['prod-*'] });
    const d = await dispatcher([sink]);
    const ids = await newPeers(store, 'frontend', 3, 'staging');
    d.notify();
    await eventually(() => allIn(store, 'grouped', ids, 'delivered'));
    expect(receiver.requests).toHaveLength(0);
  });

  it('one replica delivers a grouped sink at a time: the other claims nothing while the lease is held', async () => {
    const second = new SqliteStore(path);
    stores.push(second);
    const a = await dispatcher([grouped({ by: ['cluster'], waitMs: 2000 })], { consumerId: 'replica-a' });
    await eventually(() => logs.lines.some((l) => l.msg === 'delivering the grouped sink (holding its lease)'));
    const b = await dispatcher([grouped({ by: ['cluster'], waitMs: 2000 })], { consumerId: 'replica-b' }, second);
    const ids = [...(await newPeers(store, 'x', 4)), ...(await newPeers(second, 'y', 4))];
    a.notify();
    b.notify();
    await eventually(() => allIn(store, 'grouped', ids, 'delivered'));
    expect(receiver.requests).toHaveLength(1);
    expect(new Set(idsOf(receiver.requests[0]))).toEqual(new Set(ids));
    expect(logs.lines.filter((l) => l.msg === 'delivering the grouped sink (holding its lease)')).toHaveLength(1);
  });

  it('a holder that dies mid-wait (nothing released) hands over once its leases run out; the group is sent once', async () => {
    const doomed = new SqliteStore(path);
    stores.push(doomed);
    // Its entries' outbox lease is 5 s + 800 ms: the survivor can have them only after that.
    await dispatcher([grouped({ by: ['cluster'], waitMs: 5000 })], { consumerId: 'doomed' }, doomed);
    await store.init(['grouped']);
    const ids = await newPeers(store, 'frontend', 6);
    await eventually(() => logs.lines.some((l) => l.msg === 'alerts held for their group' && l.held === 6));
    // Its store is gone: releasing entries or the lease cannot reach it, as after a SIGKILL.
    await doomed.close();
    await dispatchers[0].stop(50);
    // The survivor waits 300 ms from the alerts' enqueue time: long past, so it sends once the leases end.
    await dispatcher([grouped({ by: ['cluster'], waitMs: 300 })], { consumerId: 'survivor', leaseMs: 800 });
    await eventually(() => allIn(store, 'grouped', ids, 'delivered'), 20_000);
    expect(receiver.requests).toHaveLength(1);
    expect(new Set(idsOf(receiver.requests[0]))).toEqual(new Set(ids));
    expect(logs.lines.some((l) => l.msg === 'outbox unavailable; retrying on the next tick')).toBe(true);
  });
});
