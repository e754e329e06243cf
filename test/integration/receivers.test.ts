/** The OTLP receivers end to end: real servers on free ports, real gRPC/HTTP clients and exporters. */
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { DecodeError, StoreUnavailableError } from '../../src/core/errors';
import { parseListenAddr } from '../../src/receiver/listen-addr';
import { OtlpGrpcReceiver } from '../../src/receiver/otlp-grpc';
import { OtlpHttpReceiver } from '../../src/receiver/otlp-http';
import type { ReceiverOptions } from '../../src/receiver/receiver-options';
import { createLogger } from '../../src/telemetry/logger';
import { Telemetry } from '../../src/telemetry/metrics';
import {
  agent,
  bearer,
  collectResourceMetrics,
  decodeStatus,
  gate,
  grpcExport,
  JSON_CT,
  loadOtlpRoot,
  PB,
  post,
  PullReader,
  rpcRoot,
  runHttpExporter,
  TestHandler,
  waitFor,
} from '../helpers/receiver-clients';

const MAX = 64 * 1024;
const TOKEN = 's3cret-token';

// --- fixtures ---------------------------------------------------------------------------------
const logger = createLogger('silent');
const metricsReader = new PullReader();
const telemetry = new Telemetry(undefined, [metricsReader]);
const otlpRoot = loadOtlpRoot();
let requestBytes: Buffer;
let resourceMetrics: ResourceMetrics;

async function startPair(opts: Partial<ReceiverOptions>, handler: TestHandler) {
  const o: ReceiverOptions = { addr: '127.0.0.1:0', maxMessageBytes: MAX, maxInflight: 1, ...opts };
  const grpcReceiver = new OtlpGrpcReceiver(o, handler.handle, telemetry, logger);
  const httpReceiver = new OtlpHttpReceiver(o, handler.handle, telemetry, logger);
  const grpcPort = (await grpcReceiver.start()).port;
  const httpPort = (await httpReceiver.start()).port;
  const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
  const gzipClient = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 });
  const stop = async (): Promise<void> => {
    client.close();
    gzipClient.close();
    await Promise.all([grpcReceiver.stop(1000), httpReceiver.stop(1000)]);
  };
  return { grpcPort, httpPort, client, gzipClient, grpcReceiver, httpReceiver, stop };
}

const handler = new TestHandler();
let s: Awaited<ReturnType<typeof startPair>>;

beforeAll(async () => {
  resourceMetrics = await collectResourceMetrics();
  requestBytes = Buffer.from(ProtobufMetricsSerializer.serializeRequest(resourceMetrics) ?? new Uint8Array());
  s = await startPair({}, handler);
});
afterAll(async () => {
  await s.stop();
  agent.destroy();
  await telemetry.shutdown();
});

/** Check the bytes are an ExportMetricsServiceRequest carrying our tcp.packets metric. */
function expectOtlpRequest(body: Buffer): void {
  expect(body.length).toBeGreaterThan(0);
  expect(body[0]).toBe(0x0a); // field 1 (resource_metrics), length-delimited
  if (!otlpRoot) return;
  const T = otlpRoot.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
  const msg = T.toObject(T.decode(body)) as { resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: Array<{ name: string }> }> }> };
  expect(msg.resourceMetrics[0].scopeMetrics[0].metrics[0].name).toBe('tcp.packets');
}

describe('OTLP gRPC receiver', () => {
  test('the real OTLP gRPC exporter exports, plain and gzip; the handler gets protobuf bytes', async () => {
    for (const compression of [CompressionAlgorithm.NONE, CompressionAlgorithm.GZIP]) {
      const exporter = new GrpcMetricExporter({ url: `http://127.0.0.1:${s.grpcPort}`, compression });
      const result = await new Promise<ExportResult>((resolve) => exporter.export(resourceMetrics, resolve));
      await exporter.shutdown();
      expect(result.code).toBe(ExportResultCode.SUCCESS);
      expect(handler.last()).toMatchObject({ format: 'protobuf', transport: 'grpc' });
      expectOtlpRequest(handler.last().body);
    }
  });

  test('raw client: success is the empty response; partial_success is encoded', async () => {
    const ok = await grpcExport(s.client, requestBytes);
    expect(ok.err).toBeNull();
    expect(ok.body).toEqual(Buffer.alloc(0));
    expect(handler.last().body).toEqual(requestBytes);

    handler.next({ answer: { rejectedDataPoints: 3, errorMessage: '3 points without a source workload' } });
    const partial = await grpcExport(s.client, requestBytes);
    expect(partial.err).toBeNull();
    const decoded = ProtobufMetricsSerializer.deserializeResponse(partial.body ?? Buffer.alloc(0));
    expect(decoded.partialSuccess?.errorMessage).toBe('3 points without a source workload');
    expect(Number(decoded.partialSuccess?.rejectedDataPoints)).toBe(3);
  });

  test('gzip-compressed requests are decompressed before the handler', async () => {
    const big = Buffer.concat([requestBytes, Buffer.alloc(MAX / 2)]); // compresses well
    const res = await grpcExport(s.gzipClient, big);
    expect(res.err).toBeNull();
    expect(handler.last().body).toEqual(big);
  });

  test('DecodeError → INVALID_ARGUMENT; the next request is served', async () => {
    handler.next({ fail: new DecodeError('field 1 truncated') });
    const res = await grpcExport(s.client, requestBytes);
    expect(res.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(res.err?.details).toBe('field 1 truncated');
    expect((await grpcExport(s.client, requestBytes)).err).toBeNull();
  });

  test('StoreUnavailableError → UNAVAILABLE with RetryInfo; unexpected errors → INTERNAL', async () => {
    handler.next({ fail: new StoreUnavailableError('redis down') });
    const res = await grpcExport(s.client, requestBytes);
    expect(res.err?.code).toBe(grpc.status.UNAVAILABLE);
    const details = res.err?.metadata.get('grpc-status-details-bin')[0];
    expect(Buffer.isBuffer(details)).toBe(true);
    const status = decodeStatus(details as Buffer);
    expect(status.code).toBe(grpc.status.UNAVAILABLE);
    expect(status.details[0].type_url).toBe('type.googleapis.com/google.rpc.RetryInfo');
    const retryInfo = rpcRoot.lookupType('RetryInfo').toObject(rpcRoot.lookupType('RetryInfo').decode(status.details[0].value), { longs: Number });
    expect(retryInfo).toEqual({ retry_delay: { seconds: 5 } });

    handler.next({ fail: new TypeError('x is undefined') });
    const internal = await grpcExport(s.client, requestBytes);
    expect(internal.err?.code).toBe(grpc.status.INTERNAL);
    expect(internal.err?.details).toBe('internal error');
    expect((await grpcExport(s.client, requestBytes)).err).toBeNull();
  });

  test('over the size limit → RESOURCE_EXHAUSTED, plain and after gzip decompression', async () => {
    const calls = handler.received.length;
    const plain = await grpcExport(s.client, Buffer.alloc(MAX + 1, 1));
    expect(plain.err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const bomb = await grpcExport(s.gzipClient, Buffer.alloc(MAX * 4)); // a few hundred bytes on the wire
    expect(bomb.err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(bomb.err?.details).toMatch(/decompresses/); // proves the client really sent gzip
    expect(handler.received.length).toBe(calls);
    expect((await grpcExport(s.gzipClient, requestBytes)).err).toBeNull();
  });

  test('more than maxInflight concurrent calls → UNAVAILABLE at once', async () => {
    const g = gate();
    handler.next({ gate: g.wait });
    const before = handler.received.length;
    const first = grpcExport(s.client, requestBytes);
    await waitFor(() => handler.received.length > before);
    const second = await grpcExport(s.client, requestBytes);
    expect(second.err?.code).toBe(grpc.status.UNAVAILABLE);
    g.open();
    expect((await first).err).toBeNull();
    expect((await grpcExport(s.client, requestBytes)).err).toBeNull();
  });
});

describe('OTLP HTTP receiver', () => {
  test('the real OTLP HTTP exporter (JSON, plain and gzip) exports; partial success is understood', async () => {
    handler.next({ answer: { rejectedDataPoints: 2, errorMessage: 'dropped 2' } });
    const before = handler.received.length;
    const results = await runHttpExporter(`http://127.0.0.1:${s.httpPort}/v1/metrics`);
    expect(results).toEqual([{ code: ExportResultCode.SUCCESS }, { code: ExportResultCode.SUCCESS }]);
    const got = handler.received.slice(before);
    expect(got).toHaveLength(2);
    for (const req of got) {
      expect(req).toMatchObject({ format: 'json', transport: 'http' });
      const json = JSON.parse(req.body.toString('utf8')) as { resourceMetrics: Array<{ scopeMetrics: Array<{ metrics: Array<{ name: string }> }> }> };
      expect(json.resourceMetrics[0].scopeMetrics[0].metrics[0].name).toBe('tcp.packets');
    }
  });

  test('protobuf: success, partial_success in protobuf, JSON answered in JSON', async () => {
    const ok = await post(s.httpPort, requestBytes, PB);
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toBe('application/x-protobuf');
    expect(ok.body.length).toBe(0);
    expectOtlpRequest(handler.last().body);

    handler.next({ answer: { rejectedDataPoints: 5, errorMessage: 'five dropped' } });
    const partial = await post(s.httpPort, requestBytes, PB);
    const decoded = ProtobufMetricsSerializer.deserializeResponse(partial.body);
    expect(Number(decoded.partialSuccess?.rejectedDataPoints)).toBe(5);
    expect(decoded.partialSuccess?.errorMessage).toBe('five dropped');

    handler.next({ answer: { rejectedDataPoints: 5, errorMessage: 'five dropped' } });
    const pj = await post(s.httpPort, Buffer.from('{"resourceMetrics":[]}'), { 'Content-Type': 'application/json; charset=utf-8' });
    expect(pj.status).toBe(200);
    expect(pj.headers['content-type']).toBe('application/json');
    expect(JSON.parse(pj.body.toString())).toEqual({ partialSuccess: { rejectedDataPoints: '5', errorMessage: 'five dropped' } });
    expect(JSON.parse((await post(s.httpPort, Buffer.from('{}'), JSON_CT)).body.toString())).toEqual({});
  });

  test('gzip and deflate bodies are decompressed; an empty protobuf body is an empty request', async () => {
    const gz = await post(s.httpPort, gzipSync(requestBytes), { ...PB, 'Content-Encoding': 'gzip' });
    expect(gz.status).toBe(200);
    expect(handler.last().body).toEqual(requestBytes);
    const empty = await post(s.httpPort, Buffer.alloc(0), PB);
    expect(empty.status).toBe(200);
    expect(handler.last().body.length).toBe(0);
  });

  test('DecodeError → 400 with a google.rpc.Status body in the request content type', async () => {
    handler.next({ fail: new DecodeError('bad varint') });
    const pb = await post(s.httpPort, requestBytes, PB);
    expect(pb.status).toBe(400);
    expect(pb.headers['content-type']).toBe('application/x-protobuf');
    expect(decodeStatus(pb.body)).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, message: 'bad varint' });

    handler.next({ fail: new DecodeError('bad json') });
    const js = await post(s.httpPort, Buffer.from('{}'), JSON_CT);
    expect(js.status).toBe(400);
    expect(JSON.parse(js.body.toString())).toEqual({ code: grpc.status.INVALID_ARGUMENT, message: 'bad json' });

    const calls = handler.received.length;
    const emptyJson = await post(s.httpPort, Buffer.alloc(0), JSON_CT);
    expect(emptyJson.status).toBe(400);
    expect(handler.received.length).toBe(calls);
    expect((await post(s.httpPort, requestBytes, PB)).status).toBe(200);
  });

  test('StoreUnavailableError → 503 with Retry-After; unexpected → 500', async () => {
    handler.next({ fail: new StoreUnavailableError('redis down') });
    const res = await post(s.httpPort, requestBytes, PB);
    expect(res.status).toBe(503);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(decodeStatus(res.body).code).toBe(grpc.status.UNAVAILABLE);
    handler.next({ fail: new Error('boom') });
    const internal = await post(s.httpPort, Buffer.from('{}'), JSON_CT);
    expect(internal.status).toBe(500);
    expect(JSON.parse(internal.body.toString())).toEqual({ code: grpc.status.INTERNAL, message: 'internal error' });
    const next = await post(s.httpPort, requestBytes, PB);
    expect(next.status).toBe(200);
    expect(next.reused).toBe(true); // the error left the keep-alive connection usable
  });

  test('over the size limit → 413: Content-Length, chunked, and a gzip bomb', async () => {
    const calls = handler.received.length;
    expect((await post(s.httpPort, Buffer.alloc(MAX + 1, 1), PB)).status).toBe(413);
    const chunks = Array.from({ length: 5 }, () => Buffer.alloc(MAX / 4, 1));
    expect((await post(s.httpPort, chunks, PB)).status).toBe(413);
    const bomb = gzipSync(Buffer.alloc(MAX * 16));
    expect(bomb.length).toBeLessThan(MAX / 8);
    const res = await post(s.httpPort, bomb, { ...PB, 'Content-Encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(decodeStatus(res.body).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(handler.received.length).toBe(calls);
    expect((await post(s.httpPort, requestBytes, PB)).status).toBe(200);
  });

  test('truncated or corrupt gzip → 400; unknown encoding or content type → 415', async () => {
    const gz = gzipSync(requestBytes);
    const truncated = await post(s.httpPort, gz.subarray(0, gz.length - 12), { ...PB, 'Content-Encoding': 'gzip' });
    expect(truncated.status).toBe(400);
    expect(decodeStatus(truncated.body).code).toBe(grpc.status.INVALID_ARGUMENT);
    expect((await post(s.httpPort, requestBytes, { ...PB, 'Content-Encoding': 'gzip' })).status).toBe(400);
    expect((await post(s.httpPort, requestBytes, { ...PB, 'Content-Encoding': 'zstd' })).status).toBe(415);
    const wrong = await post(s.httpPort, requestBytes, { 'Content-Type': 'text/plain' });
    expect(wrong.status).toBe(415);
    expect(JSON.parse(wrong.body.toString()).message).toMatch(/text\/plain/);
    expect((await post(s.httpPort, requestBytes, PB)).status).toBe(200);
  });

  test('other paths → 404, other methods → 405', async () => {
    expect((await post(s.httpPort, requestBytes, PB, { path: '/v1/traces' })).status).toBe(404);
    const get = await post(s.httpPort, Buffer.alloc(0), {}, { method: 'GET' });
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect((await post(s.httpPort, requestBytes, PB, { path: '/v1/metrics?x=1' })).status).toBe(200);
  });

  test('more than maxInflight concurrent requests → 503 with Retry-After at once', async () => {
    const g = gate();
    handler.next({ gate: g.wait });
    const before = handler.received.length;
    const first = post(s.httpPort, requestBytes, PB);
    await waitFor(() => handler.received.length > before);
    const second = await post(s.httpPort, requestBytes, PB);
    expect(second.status).toBe(503);
    expect(second.headers['retry-after']).toBe('1');
    g.open();
    expect((await first).status).toBe(200);
    expect((await post(s.httpPort, requestBytes, PB)).status).toBe(200);
  });
});

describe('bearer token', () => {
  const authHandler = new TestHandler();
  let a: Awaited<ReturnType<typeof startPair>>;
  beforeAll(async () => {
    a = await startPair({ authToken: TOKEN }, authHandler);
  });
  afterAll(() => a.stop());

  test('gRPC: missing or wrong token → UNAUTHENTICATED, right token passes', async () => {
    const before = authHandler.received.length;
    expect((await grpcExport(a.client, requestBytes)).err?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await grpcExport(a.client, requestBytes, bearer('nope'))).err?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(authHandler.received.length).toBe(before);
    expect((await grpcExport(a.client, requestBytes, bearer(TOKEN))).err).toBeNull();
    expect(authHandler.received.length).toBe(before + 1);
  });

  test('HTTP: missing or wrong token → 401, right token passes', async () => {
    const missing = await post(a.httpPort, requestBytes, PB);
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer');
    expect(decodeStatus(missing.body).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await post(a.httpPort, requestBytes, { ...PB, Authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await post(a.httpPort, requestBytes, { ...PB, Authorization: TOKEN })).status).toBe(401);
    expect((await post(a.httpPort, requestBytes, { ...PB, Authorization: `bearer ${TOKEN}` })).status).toBe(200);
  });

  test('the real HTTP exporter with the token in its headers', async () => {
    const results = await runHttpExporter(`http://127.0.0.1:${a.httpPort}/v1/metrics`, TOKEN);
    expect(results.map((r) => r.code)).toEqual([ExportResultCode.SUCCESS, ExportResultCode.SUCCESS]);
  });
});

describe('lifecycle and telemetry', () => {
  test('listen addresses: host:port, IPv6 in brackets, port 0', async () => {
    expect(parseListenAddr('0.0.0.0:4317')).toEqual({ host: '0.0.0.0', port: 4317 });
    expect(parseListenAddr('[::]:4318')).toEqual({ host: '::', port: 4318 });
    expect(() => parseListenAddr('4317')).toThrow(/host:port/);
    const h = new TestHandler();
    const v6 = await startPair({ addr: '[::1]:0' }, h);
    const client = new grpc.Client(`[::1]:${v6.grpcPort}`, grpc.credentials.createInsecure());
    expect((await grpcExport(client, requestBytes)).err).toBeNull();
    client.close();
    await v6.stop();
  });

  test('stop() lets calls in flight finish within the grace period: they are answered', async () => {
    const h = new TestHandler();
    const p = await startPair({ maxInflight: 2 }, h);
    const g = gate();
    h.next({ gate: g.wait });
    const call = grpcExport(p.client, requestBytes);
    await waitFor(() => h.received.length === 1);
    h.next({ gate: g.wait });
    const req = post(p.httpPort, requestBytes, PB);
    await waitFor(() => h.received.length === 2);
    let stopped = false;
    // A grace far longer than this test: stop() may only resolve because the calls finished.
    const stopping = Promise.all([p.grpcReceiver.stop(60_000), p.httpReceiver.stop(60_000)]).then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false); // still waiting for the two calls
    g.open();
    expect((await call).err).toBeNull();
    expect((await req).status).toBe(200);
    await stopping;
    p.client.close();
    p.gzipClient.close();
  });

  test('stop() cuts calls still in flight when the grace period ends: no answer, and stop() returns', async () => {
    const h = new TestHandler();
    const p = await startPair({ maxInflight: 2 }, h);
    const never = gate(); // the handler never finishes on its own
    h.next({ gate: never.wait });
    const call = grpcExport(p.client, requestBytes);
    await waitFor(() => h.received.length === 1);
    h.next({ gate: never.wait });
    const req = post(p.httpPort, requestBytes, PB).catch((err: Error) => err);
    await waitFor(() => h.received.length === 2);
    // Resolving at all is the point: the handlers never return, so only the cut can end stop().
    await Promise.all([p.grpcReceiver.stop(200), p.httpReceiver.stop(200)]);
    const cut = await call;
    expect(cut.err?.code).toBe(grpc.status.CANCELLED); // the server reset the stream
    const answer = await req;
    // The connection was cut: no status line, node's "socket hang up".
    expect(answer).not.toHaveProperty('status');
    expect((answer as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    never.open();
    p.client.close();
    p.gzipClient.close();
  });

  test('request durations are recorded by transport and status', async () => {
    // Each status made here, so the test stands alone (`jest -t`).
    expect((await grpcExport(s.client, requestBytes)).err).toBeNull();
    handler.next({ fail: new DecodeError('bad') });
    expect((await grpcExport(s.client, requestBytes)).err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    handler.next({ fail: new StoreUnavailableError('down') });
    expect((await grpcExport(s.client, requestBytes)).err?.code).toBe(grpc.status.UNAVAILABLE);
    expect((await post(s.httpPort, requestBytes, PB)).status).toBe(200);
    handler.next({ fail: new DecodeError('bad') });
    expect((await post(s.httpPort, requestBytes, PB)).status).toBe(400);
    expect((await post(s.httpPort, Buffer.alloc(MAX + 1, 1), PB)).status).toBe(413);
    handler.next({ fail: new StoreUnavailableError('down') });
    expect((await post(s.httpPort, requestBytes, PB)).status).toBe(503);
    const { resourceMetrics: rm } = await metricsReader.collect();
    const metric = rm.scopeMetrics.flatMap((sm) => sm.metrics).find((m) => m.descriptor.name === 'edgewatch_export_request_duration_seconds');
    const labels = (metric?.dataPoints ?? []).map((dp) => `${dp.attributes.transport}/${dp.attributes.code}`);
    expect(labels).toEqual(expect.arrayContaining(['grpc/OK', 'grpc/INVALID_ARGUMENT', 'grpc/UNAVAILABLE', 'http/200', 'http/400', 'http/413', 'http/503']));
  });
});
