import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { AlertDispatcher, type DispatcherOptions } from '../../src/alert/dispatcher';
import { LogSink } from '../../src/alert/log-sink';
import type { Sink } from '../../src/alert/sink';
import { WebhookSink } from '../../src/alert/webhook-sink';
import { completeAlert, type AlertDraft } from '../../src/core/alert';
import { alertId, type EdgeKey } from '../../src/core/edge';
import { StoreUnavailableError } from '../../src/core/errors';
import { MemoryStore } from '../../src/store/memory/memory-store';
import { RedisStore } from '../../src/store/redis/redis-store';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import type { BaselineStore } from '../../src/store/store';
import { createLogger, type Logger } from '../../src/telemetry/logger';
import { Telemetry } from '../../src/telemetry/metrics';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { WebhookReceiver } from '../helpers/webhook-receiver';

interface LogLine {
  level: number;
  msg: string;
  alertId?: string;
  error?: string;
  alert?: { id: string };
}

const HOUR = 3_600_000;
/** Short everything, so the whole file stays well under 30 s. */
const FAST: Omit<DispatcherOptions, 'consumerId'> = {
  concurrency: 4,
  deadlineMs: 60_000,
  timeoutMs: 300,
  leaseMs: 800,
  pollIntervalMs: 50,
  backoff: { baseMs: 40, capMs: 200 },
};

const dir = mkdtempSync(join(tmpdir(), 'edgewatch-alert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let dbSeq = 0;
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.dispose();
});
const STORES: Array<[string, () => BaselineStore]> = [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => new SqliteStore(join(dir, `alerts-${++dbSeq}.db`))],
  // A key prefix per test: each starts on an empty outbox, as with a fresh SQLite file.
  ['redis', () => new RedisStore(redis.url, { redisKeyPrefix: `alerts-${process.pid}-${++dbSeq}` })],
];

let edgeSeq = 0;
function draftFor(key: EdgeKey, firstMs: number): AlertDraft {
  return {
    id: alertId(key, firstMs),
    rule: 'kubernetes_newly_seen_tcp_edge',
    title: `Kubernetes newly seen TCP edge in kubernetes cluster ${key.scope}`,
    cluster: key.scope,
    protocol: key.protocol,
    source: { workload: key.source, namespace: 'shop' },
    dest: { workload: key.dest, namespace: null },
    first_seen: new Date(firstMs).toISOString(),
    detected_at: new Date().toISOString(),
    risk_score: 25,
    impact: 50,
    confidence: 50,
    mitre_attack: ['T1204'],
    baseline_window_s: 3600,
    detection_window_s: 3600,
    attributes: { 'source.workload.name': key.source, 'dest.workload.name': key.dest, 'k8s.cluster.name': key.scope },
  };
}

/** Put `n` new-edge alerts in the outbox the way the detector does: through observe(). */
async function enqueue(store: BaselineStore, n: number): Promise<AlertDraft[]> {
  const now = Date.now();
  const drafts = Array.from({ length: n }, () => {
    const key: EdgeKey = { scope: 'prod-eu', protocol: 'tcp', source: `frontend-${++edgeSeq}`, dest: 'payments' };
    return { key, firstMs: now - 1000, lastMs: now - 1000, alert: draftFor(key, now - 1000) };
  });
  const outcomes = await store.observe(drafts, HOUR);
  expect(outcomes.every((o) => o.alerted)).toBe(true);
  return drafts.map((d) => d.alert);
}

function captureLogs(): { lines: LogLine[]; logger: Logger } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      cb();
    },
  });
  return { lines, logger: createLogger('debug', stream) };
}

/** Waits for a condition; the timeout only ends a wait that would never succeed (generous on purpose). */
async function eventually(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not reached in time');
    await sleep(20);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function deliveryOf(store: BaselineStore, id: string, sink: string): Promise<{ state: string; attempts: number; lastError: string | null } | undefined> {
  const alerts = await store.listAlerts(1000);
  return alerts.find((a) => a.alert.id === id)?.deliveries.find((d) => d.sink === sink);
}

/**
 * "Not sent again", by positive signals instead of a pause: the sink's outbox holds nothing
 * pending (nothing is left that could be sent), and a further alert enqueued now is the next
 * request the receiver gets, right after `sentSoFar`.
 */
async function expectSettledThenNext(store: BaselineStore, receiver: WebhookReceiver, sink: string, sentSoFar: string[]): Promise<void> {
  await eventually(async () => (await store.outboxStats()).pending[sink] === 0);
  const [next] = await enqueue(store, 1);
  await receiver.waitUntil((rs) => rs.some((r) => r.headers['x-edgewatch-alert-id'] === next.id), 5000, 'the next alert');
  expect(receiver.requests.map((r) => r.headers['x-edgewatch-alert-id'])).toEqual([...sentSoFar, next.id]);
}

async function scrape(telemetry: Telemetry): Promise<string> {
  const server = createServer((req, res) => telemetry.handlePrometheus(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`);
    return await res.text();
  } finally {
    server.close();
  }
}

describe.each(STORES)('alert delivery (%s store)', (_kind, makeStore) => {
  let store: BaselineStore;
  let receiver: WebhookReceiver;
  let telemetry: Telemetry;
  let logs: ReturnType<typeof captureLogs>;
  const dispatchers: AlertDispatcher[] = [];

  beforeEach(async () => {
    store = makeStore();
    receiver = await WebhookReceiver.start();
    telemetry = new Telemetry();
    logs = captureLogs();
  });

  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((d) => d.stop(50)));
    await store.close();
    await receiver.close();
    await telemetry.shutdown();
  });

  async function dispatcher(sinks: Sink[], opts: Partial<DispatcherOptions> = {}, onStore = store): Promise<AlertDispatcher> {
    await store.init(sinks.map((s) => s.name));
    const d = new AlertDispatcher(onStore, sinks, { consumerId: `c-${dispatchers.length}`, ...FAST, ...opts }, telemetry, logs.logger);
    dispatchers.push(d);
    return d;
  }

  const webhook = (path = '/hook', secret?: string): WebhookSink => new WebhookSink({ url: receiver.url(path), secret, timeoutMs: FAST.timeoutMs });

  it('POSTs the contract: headers, exact body, verifiable signature; acks; counts', async () => {
    const sink = webhook('/hook', 'topsecret');
    const d = await dispatcher([sink], { pollIntervalMs: 60_000 });
    await d.start();
    // An edge seen 2 h ago, outside a 1 h baseline: new again, with a previous_seen.
    const key: EdgeKey = { scope: 'prod-eu', protocol: 'tcp', source: 'frontend', dest: 'payments' };
    const now = Date.now();
    await store.observe([{ key, firstMs: now - 2 * HOUR, lastMs: now - 2 * HOUR }], HOUR);
    const draft = draftFor(key, now - 500);
    await store.observe([{ key, firstMs: now - 500, lastMs: now - 500, alert: draft }], HOUR);
    d.notify(); // No poll for a minute: only notify can deliver this promptly.
    // Any wait shorter than the 60 s poll proves it; long enough not to fail on a loaded machine.
    const [req] = await receiver.waitFor(1, 20_000);
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hook');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-edgewatch-alert-id']).toBe(draft.id);
    expect(req.headers['user-agent']).toMatch(/^edgewatch\/\d+\.\d+\.\d+/);
    const expected = createHmac('sha256', 'topsecret').update(req.rawBody).digest('hex');
    expect(req.headers['x-edgewatch-signature']).toBe(`sha256=${expected}`);
    expect(req.rawBody.toString('utf8')).toBe(JSON.stringify(completeAlert(draft, now - 2 * HOUR)));
    expect(req.json).toEqual({ ...draft, previous_seen: new Date(now - 2 * HOUR).toISOString() });
    await eventually(async () => (await deliveryOf(store, draft.id, sink.name))?.state === 'delivered');
    const metrics = await scrape(telemetry);
    expect(metrics).toMatch(new RegExp(`edgewatch_alerts_sent_total\\{sink="${sink.name}"\\} 1`));
    expect(metrics).toMatch(new RegExp(`edgewatch_alerts_pending\\{sink="${sink.name}"\\} 0`));
    expect(metrics).toMatch(/edgewatch_alert_latency_seconds_count\{sink="[^"]+"\} 1/);
  });

  it('sends no signature header without a secret', async () => {
    await (await dispatcher([webhook()])).start();
    await enqueue(store, 1);
    const [req] = await receiver.waitFor(1);
    expect(req.headers['x-edgewatch-signature']).toBeUndefined();
  });

  it('503 then 200: delivered once more, then acked, not sent again', async () => {
    const sink = webhook();
    receiver.enqueue({ status: 503 });
    await (await dispatcher([sink])).start();
    const [draft] = await enqueue(store, 1);
    await receiver.waitFor(2);
    await eventually(async () => (await deliveryOf(store, draft.id, sink.name))?.state === 'delivered');
    await expectSettledThenNext(store, receiver, sink.name, [draft.id, draft.id]);
  });

  it('429 with Retry-After: 1 is not retried before about 1 s', async () => {
    receiver.enqueue({ status: 429, retryAfter: 1 });
    await (await dispatcher([webhook()])).start();
    await enqueue(store, 1);
    const [first, second] = await receiver.waitFor(2, 4000);
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(950);
  });

  it('400 fails for good: not retried, recorded, logged at error', async () => {
    const sink = webhook();
    receiver.enqueue({ status: 400, body: 'bad alert' });
    await (await dispatcher([sink])).start();
    const [draft] = await enqueue(store, 1);
    await receiver.waitFor(1);
    await eventually(async () => (await deliveryOf(store, draft.id, sink.name))?.state === 'failed');
    await expectSettledThenNext(store, receiver, sink.name, [draft.id]);
    expect((await deliveryOf(store, draft.id, sink.name))?.lastError).toContain('HTTP 400: bad alert');
    const line = logs.lines.find((l) => l.level === 50 && l.alertId === draft.id);
    expect(line?.error).toContain('HTTP 400');
  });

  it('a timeout or a dropped connection is retried', async () => {
    const sink = webhook();
    receiver.enqueue({ delayMs: 1000 }, { drop: true });
    await (await dispatcher([sink])).start();
    const [draft] = await enqueue(store, 1);
    const reqs = await receiver.waitFor(3);
    expect(reqs.every((r) => r.headers['x-edgewatch-alert-id'] === draft.id)).toBe(true);
    await eventually(async () => (await deliveryOf(store, draft.id, sink.name))?.state === 'delivered');
    const retried = logs.lines.filter((l) => l.msg === 'alert delivery will be retried').map((l) => l.error);
    expect(retried).toEqual([expect.stringContaining('timeout'), expect.stringContaining('network error')]);
  });

  it('gives up on a retryable failure once the delivery deadline passed', async () => {
    const sink = webhook();
    receiver.setDefault({ status: 503 });
    await (await dispatcher([sink], { deadlineMs: 400 })).start();
    const [draft] = await enqueue(store, 1);
    await eventually(async () => (await deliveryOf(store, draft.id, sink.name))?.state === 'failed');
    expect((await deliveryOf(store, draft.id, sink.name))?.lastError).toMatch(/HTTP 503.*deadline/);
  });

  it('one sink failing (always 500) never holds up another', async () => {
    const bad = webhook('/bad');
    const good = webhook('/good');
    receiver.setDefault((req) => ({ status: req.url === '/bad' ? 500 : 200 }));
    await (await dispatcher([bad, good])).start();
    const drafts = await enqueue(store, 10);
    await receiver.waitUntil((rs) => rs.filter((r) => r.url === '/good').length >= 10, 10_000);
    const good_ids = receiver.requests.filter((r) => r.url === '/good').map((r) => r.headers['x-edgewatch-alert-id']);
    expect(new Set(good_ids)).toEqual(new Set(drafts.map((x) => x.id)));
    expect(receiver.requests.some((r) => r.url === '/bad')).toBe(true);
    expect((await store.outboxStats()).pending[bad.name]).toBe(10);
  });

  it.each([3, 16])('keeps at most %i deliveries in flight per sink', async (concurrency) => {
    const warnings: string[] = [];
    const onWarning = (w: Error): number => warnings.push(w.name);
    process.on('warning', onWarning);
    receiver.setDefault({ delayMs: 100 });
    await (await dispatcher([webhook()], { concurrency })).start();
    await enqueue(store, concurrency * 3);
    await receiver.waitFor(concurrency * 3);
    process.off('warning', onWarning);
    expect(receiver.maxConcurrent).toBe(concurrency);
    expect(warnings).toEqual([]); // e.g. no MaxListenersExceededWarning from abort signals
  });

  it("delivers a dead consumer's claimed entries once their lease expires", async () => {
    const sink = webhook();
    const d = await dispatcher([sink]);
    const drafts = await enqueue(store, 3);
    const claimedAt = Date.now();
    expect(await store.claimAlerts(sink.name, 'dead-consumer', 10, 700)).toHaveLength(3);
    await d.start();
    await receiver.waitFor(3, 10_000);
    expect(receiver.requests[0].receivedAt - claimedAt).toBeGreaterThanOrEqual(650);
    expect(new Set(receiver.requests.map((r) => r.headers['x-edgewatch-alert-id']))).toEqual(new Set(drafts.map((x) => x.id)));
  });

  it('a stopped dispatcher leaves its entries to another consumer', async () => {
    const sink = webhook();
    // The sink never answers within this test, nor times out in it: only the drain deadline of
    // stop() can end the delivery in flight, so stop() returning is itself the check.
    receiver.setDefault({ delayMs: 600_000 });
    const a = await dispatcher([sink], { concurrency: 1, timeoutMs: 120_000, leaseMs: 180_000 });
    await a.start();
    const drafts = await enqueue(store, 3);
    await receiver.waitFor(1);
    await a.stop(200);
    expect(logs.lines.some((l) => l.msg === 'drain deadline passed; aborting deliveries in flight')).toBe(true);
    receiver.reset();
    const b = await dispatcher([sink], { consumerId: 'consumer-b' });
    await b.start();
    await receiver.waitFor(3);
    expect(new Set(receiver.requests.map((r) => r.headers['x-edgewatch-alert-id']))).toEqual(new Set(drafts.map((x) => x.id)));
  });

  it('survives store errors in the pump and carries on once the store answers', async () => {
    // The outage lasts several claims (the first one logs it) and ends when the test says so.
    let outage = true;
    let refused = 0;
    const flaky = new Proxy(store, {
      get(target, prop, recv) {
        const value: unknown = Reflect.get(target, prop, recv);
        if (prop !== 'claimAlerts' || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
        return (...args: unknown[]) => {
          if (!outage) return value.apply(target, args);
          refused += 1;
          return Promise.reject(new StoreUnavailableError('injected outage'));
        };
      },
    });
    const d = await dispatcher([webhook()], {}, flaky);
    await d.start();
    await enqueue(store, 2);
    d.notify();
    await eventually(() => refused >= 3);
    expect(receiver.requests).toHaveLength(0);
    outage = false;
    await receiver.waitFor(2, 10_000);
    expect(logs.lines.filter((l) => l.msg.startsWith('outbox unavailable'))).toHaveLength(1);
    expect(logs.lines.some((l) => l.msg === 'outbox reachable again')).toBe(true);
  });

  it('logs each alert as "new edge" with the log sink', async () => {
    await (await dispatcher([new LogSink(logs.logger)])).start();
    const [draft] = await enqueue(store, 1);
    await eventually(() => logs.lines.some((l) => l.msg === 'new edge' && l.alert?.id === draft.id));
    expect(logs.lines.find((l) => l.msg === 'new edge')?.level).toBe(40);
  });
});
