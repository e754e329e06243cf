import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { DecodeError, OverloadedError, UnauthenticatedError, UnsupportedMediaTypeError } from '../core/errors';
import type { Logger } from '../telemetry/logger';
import type { Telemetry } from '../telemetry/metrics';
import { bearerCheck } from './auth';
import type { ExportHandler } from './export-handler';
import { CONTENT_TYPE, encodeExportResponse, encodeStatus, type BodyFormat } from './export-response';
import { ClientGoneError, discardBody, mustClose, readBody } from './http-body';
import { parseListenAddr } from './listen-addr';
import type { ReceiverOptions } from './receiver-options';
import { mapFailure } from './status-map';
import { tlsMode } from './tls-reloader';

export const METRICS_PATH = '/v1/metrics';

/**
 * Longer than the idle timeout of the collector's HTTP client (Go: 90 s), so the client, not us,
 * closes idle connections and never races a request against our close.
 */
const KEEP_ALIVE_MS = 120_000;

/** `application/x-protobuf` / `application/json` (parameters such as charset allowed), else null. */
function formatOf(contentType: string | undefined): BodyFormat | null {
  const mime = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (mime === 'application/x-protobuf') return 'protobuf';
  if (mime === 'application/json') return 'json';
  return null;
}

/** OTLP/HTTP metrics receiver: `POST /v1/metrics`, protobuf or JSON, optionally compressed. */
export class OtlpHttpReceiver {
  private server: Server | TlsServer | null = null;
  private inflight = 0;
  private stopping = false;
  private unsubscribeTls: (() => void) | null = null;
  private readonly authorized: (header: string | undefined) => boolean;

  constructor(
    private readonly opts: ReceiverOptions,
    private readonly handler: ExportHandler,
    private readonly telemetry: Telemetry,
    private readonly logger: Logger,
  ) {
    this.authorized = bearerCheck(opts.authToken);
  }

  async start(): Promise<{ port: number }> {
    if (this.server) throw new Error('OTLP HTTP receiver already started');
    const { host, port } = parseListenAddr(this.opts.addr, 'otlp_http_addr');
    const server = this.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.stopping = false;
    const bound = (server.address() as AddressInfo).port;
    this.logger.info({ addr: this.opts.addr, port: bound, tls: tlsMode(this.opts.tls) }, 'OTLP HTTP receiver listening');
    return { port: bound };
  }

  /**
   * Plain HTTP, or HTTPS whose certificate follows the files: setSecureContext swaps it for new
   * connections while established ones keep theirs. With a client CA, a client without a
   * certificate it signed fails the handshake before any request is read.
   */
  private createServer(): Server | TlsServer {
    const http = { keepAlive: true, keepAliveTimeout: KEEP_ALIVE_MS };
    const onRequest = (req: IncomingMessage, res: ServerResponse): void => this.onRequest(req, res);
    const tls = this.opts.tls;
    if (!tls) return createServer(http, onRequest);
    const { cert, key, ca } = tls.current();
    const mtls = tls.requireClientCert;
    const server = createTlsServer({ ...http, cert, key, ca, requestCert: mtls, rejectUnauthorized: mtls, minVersion: 'TLSv1.2' }, onRequest);
    this.unsubscribeTls = tls.onChange((m) => server.setSecureContext({ cert: m.cert, key: m.key, ca: m.ca }));
    server.on('tlsClientError', (err) => this.logger.debug({ err: err.message }, 'OTLP HTTP receiver: TLS handshake failed'));
    return server;
  }

  /** Stop accepting, let requests in flight finish for up to `graceMs`, then cut every connection. */
  async stop(graceMs: number): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.stopping = true;
    this.unsubscribeTls?.();
    this.unsubscribeTls = null;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.warn({ graceMs }, 'OTLP HTTP receiver: requests still running at the deadline, closing connections');
        server.closeAllConnections();
      }, graceMs);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const started = process.hrtime.bigint();
    res.once('close', () => {
      const code = res.writableFinished ? String(res.statusCode) : 'aborted';
      this.telemetry.requestDuration.record(Number(process.hrtime.bigint() - started) / 1e9, { transport: 'http', code });
    });
    this.serve(req, res).catch((err: unknown) => this.fail(req, res, err, 'json'));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const format = formatOf(req.headers['content-type']);
    // Errors before we know the body's format are answered in JSON, the readable choice.
    const answerIn = format ?? 'json';
    const path = (req.url ?? '/').split('?')[0];
    if (path !== METRICS_PATH) {
      return this.reply(req, res, 404, answerIn, encodeStatus(GrpcStatus.NOT_FOUND, `no such path ${path}: OTLP metrics are accepted at POST ${METRICS_PATH}`, answerIn));
    }
    if (req.method !== 'POST') {
      const body = encodeStatus(GrpcStatus.UNIMPLEMENTED, `method ${req.method} not allowed: use POST`, answerIn);
      return this.reply(req, res, 405, answerIn, body, { Allow: 'POST' });
    }
    const auth = req.headers.authorization;
    if (!this.authorized(auth)) return this.fail(req, res, new UnauthenticatedError(), answerIn);
    if (!format) return this.fail(req, res, new UnsupportedMediaTypeError(req.headers['content-type'] ?? ''), answerIn);
    // The slot is taken before the body is read: the cap bounds the memory of buffered bodies too.
    if (this.inflight >= this.opts.maxInflight) {
      return this.fail(req, res, new OverloadedError(`more than ${this.opts.maxInflight} export requests in flight`), format);
    }
    this.inflight++;
    try {
      const body = await readBody(req, this.opts.maxMessageBytes);
      // Zero bytes are a valid empty protobuf message, but not a JSON document.
      if (format === 'json' && body.length === 0) throw new DecodeError('empty JSON body: expected an ExportMetricsServiceRequest object');
      const answer = await this.handler({ body, format, transport: 'http' });
      this.reply(req, res, 200, format, encodeExportResponse(answer, format));
    } catch (err) {
      this.fail(req, res, err, format);
    } finally {
      this.inflight--;
    }
  }

  private fail(req: IncomingMessage, res: ServerResponse, err: unknown, format: BodyFormat): void {
    if (err instanceof ClientGoneError) return;
    const f = mapFailure(err);
    this.logger[f.logLevel]({ err, status: f.httpStatus }, f.unexpected ? 'OTLP HTTP export failed unexpectedly' : 'OTLP HTTP export refused');
    const headers: OutgoingHttpHeaders = {};
    if (f.retryAfterSeconds !== undefined) headers['Retry-After'] = String(f.retryAfterSeconds);
    if (f.httpStatus === 401) headers['WWW-Authenticate'] = 'Bearer';
    this.reply(req, res, f.httpStatus, format, encodeStatus(f.grpcCode, f.message, format), headers);
  }

  private reply(req: IncomingMessage, res: ServerResponse, status: number, format: BodyFormat, body: Buffer, extra: OutgoingHttpHeaders = {}): void {
    if (res.headersSent || res.destroyed) return;
    const headers: OutgoingHttpHeaders = { 'Content-Type': CONTENT_TYPE[format], 'Content-Length': body.length, ...extra };
    // A body left unread (early refusal) is drained, up to twice the limit, so the answer
    // arrives before any reset and the connection lives on; a bigger one closes the connection.
    // While stopping, keep-alive clients are told to reconnect (to another replica) instead.
    const drainCap = 2 * this.opts.maxMessageBytes;
    const close = this.stopping || mustClose(req, drainCap);
    if (close) headers.Connection = 'close';
    res.writeHead(status, headers).end(body);
    if (!close) discardBody(req, drainCap);
  }
}
