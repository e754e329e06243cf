/**
 * Clients and stand-ins for the receiver integration tests: a raw grpc-js client, a node:http
 * client on a keep-alive agent, the real OTLP/HTTP exporter in a child process, an export
 * handler that records what it gets, and independent decoders for what the receivers answer.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Agent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import * as protobuf from 'protobufjs';
import type { ExportAnswer, ExportRequest } from '../../src/receiver/export-handler';
import { EXPORT_PATH } from '../../src/receiver/otlp-grpc';

const OK: ExportAnswer = { rejectedDataPoints: 0, errorMessage: '' };

/** Pull-only reader: lets a test collect ResourceMetrics on demand. */
export class PullReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** The pipeline stand-in: records requests; a test queues what the next call does. */
export class TestHandler {
  readonly received: ExportRequest[] = [];
  private behaviour: { fail?: unknown; answer?: ExportAnswer; gate?: Promise<void> } = {};
  next(b: { fail?: unknown; answer?: ExportAnswer; gate?: Promise<void> }): void {
    this.behaviour = b;
  }
  readonly handle = async (req: ExportRequest): Promise<ExportAnswer> => {
    const b = this.behaviour;
    this.behaviour = {};
    this.received.push({ ...req, body: Buffer.from(req.body) });
    if (b.gate) await b.gate;
    if (b.fail !== undefined) throw b.fail;
    return b.answer ?? OK;
  };
  last(): ExportRequest {
    return this.received[this.received.length - 1];
  }
}

export async function waitFor(pred: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

// Independent decoders: the opentelemetry-proto files (if present) and google.rpc.Status by hand.
export const PROTO_DIR = join(__dirname, '../../proto');
export const SERVICE_PROTO = 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto';
export function loadOtlpRoot(): protobuf.Root | null {
  if (!existsSync(join(PROTO_DIR, SERVICE_PROTO))) return null;
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(PROTO_DIR, target);
  return root.loadSync(SERVICE_PROTO);
}
export const rpcRoot = protobuf.Root.fromJSON({
  nested: {
    Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 }, details: { rule: 'repeated', type: 'Any', id: 3 } } },
    Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
    RetryInfo: { fields: { retry_delay: { type: 'Duration', id: 1 } } },
    Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
  },
});
export interface RpcStatus {
  code: number;
  message: string;
  details: Array<{ type_url: string; value: Buffer }>;
}
export const decodeStatus = (b: Uint8Array): RpcStatus =>
  rpcRoot.lookupType('Status').toObject(rpcRoot.lookupType('Status').decode(b), { defaults: true }) as RpcStatus;

export async function collectResourceMetrics(): Promise<ResourceMetrics> {
  const reader = new PullReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'k8s.cluster.name': 'prod-eu' }), readers: [reader] });
  const packets = provider.getMeter('test').createCounter('tcp.packets');
  packets.add(7, { 'source.workload.name': 'frontend', 'dest.workload.name': 'payments' });
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

// --- gRPC client: a plain grpc-js Client sending raw bytes ---------------------------------
export interface GrpcResult {
  err: grpc.ServiceError | null;
  body?: Buffer;
}
export function grpcExport(client: grpc.Client, body: Buffer, metadata = new grpc.Metadata()): Promise<GrpcResult> {
  const id = (b: Buffer): Buffer => b;
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT_PATH, id, id, body, metadata, { deadline: Date.now() + 10_000 }, (err, res) =>
      resolve({ err, body: res ?? undefined }),
    );
  });
}
export const bearer = (token: string): grpc.Metadata => {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${token}`);
  return md;
};

// --- The real OTLP/HTTP exporter, in a child process ------------------------------------------
// Its transport loads node:http with a dynamic import(), which jest's VM cannot run without
// --experimental-vm-modules; a plain node child runs the unmodified exporter instead.
export const HTTP_EXPORTER_SCRIPT = `
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-http');
const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');
const { resourceFromAttributes } = require('@opentelemetry/resources');
class PullReader extends MetricReader { async onForceFlush() {} async onShutdown() {} }
(async () => {
  const [url, token] = process.argv.slice(1);
  const reader = new PullReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'k8s.cluster.name': 'prod-eu' }), readers: [reader] });
  provider.getMeter('test').createCounter('tcp.packets').add(7, { 'source.workload.name': 'frontend', 'dest.workload.name': 'payments' });
  const { resourceMetrics } = await reader.collect();
  const results = [];
  for (const compression of ['none', 'gzip']) {
    const headers = token ? { Authorization: 'Bearer ' + token } : {};
    const exporter = new OTLPMetricExporter({ url, compression, headers, timeoutMillis: 5000 });
    const r = await new Promise((resolve) => exporter.export(resourceMetrics, resolve));
    results.push({ code: r.code, error: r.error ? String(r.error) : undefined });
    await exporter.shutdown();
  }
  process.stdout.write(JSON.stringify(results));
})();
`;
export function runHttpExporter(url: string, token = ''): Promise<Array<{ code: number; error?: string }>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', HTTP_EXPORTER_SCRIPT, url, token], { cwd: join(__dirname, '../..'), timeout: 15_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`exporter child failed: ${err.message} ${stderr}`)) : resolve(JSON.parse(stdout) as Array<{ code: number; error?: string }>),
    );
  });
}

// --- HTTP client: node:http over one keep-alive agent -----------------------------------------
export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  reused: boolean;
}
/** One keep-alive agent, so tests can see that an error left the connection usable. */
export const agent = new Agent({ keepAlive: true, maxSockets: 4 });
export function post(port: number, body: Buffer | Buffer[], headers: OutgoingHttpHeaders, opts: { path?: string; method?: string } = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const chunked = Array.isArray(body);
    const h = chunked ? headers : { 'Content-Length': body.length, ...headers };
    const req = httpRequest({ host: '127.0.0.1', port, agent, path: opts.path ?? '/v1/metrics', method: opts.method ?? 'POST', headers: h }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), reused: req.reusedSocket }));
    });
    req.on('error', reject);
    for (const c of chunked ? body : [body]) req.write(c);
    req.end();
  });
}
export const PB = { 'Content-Type': 'application/x-protobuf' };
export const JSON_CT = { 'Content-Type': 'application/json' };
