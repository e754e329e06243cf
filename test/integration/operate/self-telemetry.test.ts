/**
 * Self-telemetry: with self_otlp_endpoint set, the built service pushes its own edgewatch_*
 * metrics to an OTLP/gRPC receiver (here a grpc-js server of the test that decodes every
 * Export with protobufjs from proto/), with service.name/version/instance.id on the resource.
 */
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { reducerRequest, requestType } from '../../helpers/otlp-fixtures';
import { aligned } from '../../helpers/service-harness';
import { ensureBuilt, freePort, httpStatus, ROOT, startChild, type ChildService } from '../../helpers/child-service';

const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

interface KeyValue {
  key: string;
  value?: { stringValue?: string };
}
interface DataPoint {
  asInt?: string;
  asDouble?: number;
}
interface Metric {
  name: string;
  sum?: { dataPoints: DataPoint[] };
}
interface ExportRequest {
  resourceMetrics?: Array<{ resource?: { attributes?: KeyValue[] }; scopeMetrics?: Array<{ metrics?: Metric[] }> }>;
}

/** A local OTLP/gRPC metrics receiver recording every decoded Export request. */
class OtlpSink {
  private constructor(
    private readonly server: grpc.Server,
    readonly port: number,
    readonly requests: ExportRequest[],
  ) {}

  static async start(): Promise<OtlpSink> {
    const server = new grpc.Server();
    const id = (b: Buffer): Buffer => b;
    const requests: ExportRequest[] = [];
    server.addService(
      { Export: { path: EXPORT_PATH, requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } },
      {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          const t = requestType();
          requests.push(t.toObject(t.decode(call.request), { longs: String, defaults: false }) as ExportRequest);
          cb(null, Buffer.alloc(0)); // an empty ExportMetricsServiceResponse: all accepted
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    return new OtlpSink(server, port, requests);
  }

  /** Export calls that carried at least one edgewatch_* metric. */
  withOwnMetrics(): ExportRequest[] {
    return this.requests.filter((r) => metricNames(r).some((n) => n.startsWith('edgewatch_')));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}

const metricNames = (r: ExportRequest): string[] =>
  (r.resourceMetrics ?? []).flatMap((rm) => (rm.scopeMetrics ?? []).flatMap((sm) => (sm.metrics ?? []).map((m) => m.name)));

function resourceAttrs(r: ExportRequest): Record<string, string | undefined> {
  const attrs = r.resourceMetrics?.[0]?.resource?.attributes ?? [];
  return Object.fromEntries(attrs.map((kv) => [kv.key, kv.value?.stringValue]));
}

/** Sum of the points of a counter in one request. */
function counterTotal(r: ExportRequest, name: string): number {
  let total = 0;
  for (const rm of r.resourceMetrics ?? [])
    for (const sm of rm.scopeMetrics ?? [])
      for (const m of sm.metrics ?? []) if (m.name === name) for (const p of m.sum?.dataPoints ?? []) total += Number(p.asInt ?? p.asDouble ?? 0);
  return total;
}

async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function sendPoints(ew: ChildService): Promise<void> {
  const body = reducerRequest({ cluster: 'self', edges: [{ src: 'a', dst: 'b' }], timeMs: aligned(Date.now()), metricsPerRequest: 8 }).protobuf;
  const client = new grpc.Client(`127.0.0.1:${ew.ports.grpc}`, grpc.credentials.createInsecure());
  const id = (b: Buffer): Buffer => b;
  await new Promise<void>((resolve, reject) =>
    client.makeUnaryRequest(EXPORT_PATH, id, id, body, new grpc.Metadata(), (err) => (err ? reject(err) : resolve())),
  );
  client.close();
}

let sink: OtlpSink;

// Compiling dist/ (when sources changed) gets its own budget, not the hook's 30 s.
beforeAll(() => ensureBuilt(), 120_000);

beforeAll(async () => {
  sink = await OtlpSink.start();
}, 60_000);

afterAll(() => sink.close());

beforeEach(() => {
  sink.requests.length = 0;
});

test('own metrics reach an OTLP receiver every interval, with the service resource', async () => {
  const ew = await startChild({ env: { EDGEWATCH_STORE: 'memory:', EDGEWATCH_SELF_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}`, EDGEWATCH_SELF_OTLP_INTERVAL: '300ms' } });
  await sendPoints(ew);
  await waitUntil(() => sink.withOwnMetrics().length >= 2, 10_000, 'two pushes of own metrics');
  const [first] = sink.withOwnMetrics();
  expect(metricNames(first)).toEqual(expect.arrayContaining(['edgewatch_points_received', 'edgewatch_export_request_duration_seconds']));
  const attrs = resourceAttrs(first);
  expect(attrs['service.name']).toBe('edgewatch');
  expect(attrs['service.version']).toBe(VERSION);
  expect(attrs['service.instance.id']).toMatch(/\S+-\d+-[0-9a-f]+/);
  expect((await ew.stop()).code).toBe(0);
});

test('the last numbers are pushed on shutdown', async () => {
  const ew = await startChild({ env: { EDGEWATCH_STORE: 'memory:', EDGEWATCH_SELF_OTLP_ENDPOINT: `127.0.0.1:${sink.port}`, EDGEWATCH_SELF_OTLP_INTERVAL: '1h' } });
  await sendPoints(ew);
  expect(sink.withOwnMetrics()).toHaveLength(0);
  expect((await ew.stop()).code).toBe(0);
  const pushed = sink.withOwnMetrics();
  expect(pushed).toHaveLength(1);
  // One tcp.packets point per request (the other seven names are not watched).
  expect(counterTotal(pushed[0], 'edgewatch_points_received')).toBe(1);
});

test('an unreachable endpoint is logged and harms nothing', async () => {
  const closed = await freePort();
  const ew = await startChild({ env: { EDGEWATCH_STORE: 'memory:', EDGEWATCH_SELF_OTLP_ENDPOINT: `http://127.0.0.1:${closed}`, EDGEWATCH_SELF_OTLP_INTERVAL: '200ms' } });
  await sendPoints(ew);
  await waitUntil(() => ew.logs.some((l) => l.includes('pushing own metrics over OTLP failed')), 10_000, 'the push failure to be logged');
  // Harms nothing: after the failure the service still takes points and is ready…
  await sendPoints(ew);
  expect(await httpStatus(ew.ports.admin, '/readyz')).toBe(200);
  // …and the last push on the way out fails too without holding up a clean stop.
  expect((await ew.stop()).code).toBe(0);
  expect(ew.logs.some((l) => l.includes('"msg":"edgewatch stopped"'))).toBe(true);
  expect(ew.logs.some((l) => l.includes('shutdown did not finish'))).toBe(false);
});
