/**
 * `rediss://` against a real redis-server that speaks only TLS (no plaintext port), with
 * certificates made at test time. The built service runs as a child process, so its trust
 * store can be extended the way an operator does for a private CA: NODE_EXTRA_CA_CERTS.
 */
import * as grpc from '@grpc/grpc-js';
import type { Alert } from '../../../src/core/alert';
import { reducerRequest } from '../../helpers/otlp-fixtures';
import { startTlsRedis, type TlsRedisServer } from '../../helpers/redis-tls-server';
import { aligned, tempDir } from '../../helpers/service-harness';
import { makeTestPki, type TestPki } from '../../helpers/test-certs';
import { WebhookReceiver } from '../../helpers/webhook-receiver';
import { ensureBuilt, httpStatus, logLines, startChild, type ChildService } from '../../helpers/child-service';

const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const PASSWORD = 'tls-pass';

let tmp: ReturnType<typeof tempDir>;
let pki: TestPki;
let redis: TlsRedisServer;
let hook: WebhookReceiver;
const running: ChildService[] = [];

// Compiling dist/ (when sources changed) gets its own budget, not the hook's 30 s.
beforeAll(() => ensureBuilt(), 120_000);

beforeAll(async () => {
  tmp = tempDir('ew-rediss-');
  pki = makeTestPki(tmp.dir);
  redis = await startTlsRedis(pki, { password: PASSWORD });
  hook = await WebhookReceiver.start();
}, 60_000);

afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

afterAll(async () => {
  await hook?.close();
  await redis?.dispose();
  tmp?.cleanup();
});

async function child(env: Record<string, string>, readyPath = '/readyz'): Promise<ChildService> {
  const ew = await startChild({ env, readyPath });
  running.push(ew);
  return ew;
}

function send(ew: ChildService, src: string): Promise<grpc.status> {
  const body = reducerRequest({ cluster: 'prod-eu', edges: [{ src, dst: 'db' }], names: ['tcp.packets'], metricsPerRequest: 1, timeMs: aligned(Date.now()) }).protobuf;
  const client = new grpc.Client(`127.0.0.1:${ew.ports.grpc}`, grpc.credentials.createInsecure());
  const id = (b: Buffer): Buffer => b;
  return new Promise((resolve) =>
    client.makeUnaryRequest(EXPORT_PATH, id, id, body, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (err) => {
      client.close();
      resolve(err ? err.code : grpc.status.OK);
    }),
  );
}

/** Waits for the start-up warning of a store that could not be reached; returns its error text. */
async function unreachable(ew: ChildService): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [line] = logLines(ew.logs, 'store unreachable; starting anyway and retrying');
    if (line !== undefined) return String(line.err);
    if (Date.now() > deadline) throw new Error('the store was not reported unreachable');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('rediss:// with the CA trusted: ready, alerts delivered, the data in the TLS-only server', async () => {
  const ew = await child({ EDGEWATCH_STORE: redis.url, NODE_EXTRA_CA_CERTS: pki.caCert, EDGEWATCH_WEBHOOK_URL: hook.url() });
  expect(await send(ew, 'over-tls')).toBe(grpc.status.OK);
  await hook.waitUntil((rs) => rs.some((r) => (r.json as Alert).source.workload === 'over-tls'), 10_000, 'the alert');
  const keys = redis.cli('--scan').split('\n').filter((k) => k !== '');
  expect(keys.length).toBeGreaterThan(0);
  expect(keys.every((k) => k.startsWith('{ew:'))).toBe(true);
  expect(logLines(ew.logs, 'store unreachable; starting anyway and retrying')).toEqual([]);
});

test('rediss:// verifies the server certificate: with its CA not trusted the client abandons the handshake; /readyz 503', async () => {
  const before = redis.log().length;
  const ew = await child({ EDGEWATCH_STORE: redis.url }, '/healthz');
  await unreachable(ew);
  // The server accepts any client (no client certificates), so the failed handshake it logs was
  // abandoned by the client: the certificate did not verify. With the CA trusted, it does (above).
  expect(redis.log().slice(before)).toMatch(/Error accepting a client connection: .*SSL routines/);
  expect(await httpStatus(ew.ports.admin, '/readyz')).toBe(503);
  expect(await send(ew, 'untrusted')).toBe(grpc.status.UNAVAILABLE);
});

test('redis:// (plaintext) to the TLS port does not connect: the store needs rediss://', async () => {
  const ew = await child({ EDGEWATCH_STORE: redis.url.replace(/^rediss:/, 'redis:'), NODE_EXTRA_CA_CERTS: pki.caCert }, '/healthz');
  await unreachable(ew);
  expect(await httpStatus(ew.ports.admin, '/readyz')).toBe(503);
});
