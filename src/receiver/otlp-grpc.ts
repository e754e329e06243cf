import {
  Metadata,
  ResponderBuilder,
  Server,
  ServerInterceptingCall,
  ServerListenerBuilder,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerInterceptingCallInterface,
  type ServerUnaryCall,
  type ServiceDefinition,
} from '@grpc/grpc-js';
import { OverloadedError } from '../core/errors';
import type { Logger } from '../telemetry/logger';
import type { Telemetry } from '../telemetry/metrics';
import { bearerCheck } from './auth';
import type { ExportHandler } from './export-handler';
import { encodeExportResponseProto, encodeStatusProto } from './export-response';
import { formatListenAddr, parseListenAddr } from './listen-addr';
import type { ReceiverOptions } from './receiver-options';
import { grpcCodeName, mapFailure } from './status-map';
import { grpcServerCredentials } from './tls-grpc';
import { tlsMode } from './tls-reloader';

export type { ReceiverOptions } from './receiver-options';

export const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

const identity = (b: Buffer): Buffer => b;

/**
 * The MetricsService built by hand with identity (de)serializers: the transport hands the raw
 * request bytes to the pipeline, which decodes only what it needs, and sends bytes we encoded.
 */
const METRICS_SERVICE: ServiceDefinition = {
  Export: {
    path: EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** OTLP/gRPC metrics receiver (`MetricsService/Export`) on @grpc/grpc-js. */
export class OtlpGrpcReceiver {
  private server: Server | null = null;
  private inflight = 0;
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
    if (this.server) throw new Error('OTLP gRPC receiver already started');
    const target = formatListenAddr(parseListenAddr(this.opts.addr, 'otlp_grpc_addr'));
    const server = new Server({
      // grpc-js enforces this on the decompressed size too, answering RESOURCE_EXHAUSTED.
      'grpc.max_receive_message_length': this.opts.maxMessageBytes,
      // Interceptors cost ~0.5 ms of CPU per call in grpc-js: only install one when a token is required.
      interceptors: this.opts.authToken ? [(_method, call) => this.intercept(call)] : [],
    });
    server.addService(METRICS_SERVICE, {
      Export: (call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>) => {
        void this.export(call.request, callback);
      },
    });
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(target, grpcServerCredentials(this.opts.tls), (err, bound) => (err ? reject(err) : resolve(bound)));
    });
    this.server = server;
    this.logger.info({ addr: this.opts.addr, port, tls: tlsMode(this.opts.tls) }, 'OTLP gRPC receiver listening');
    return { port };
  }

  /** Finish calls in flight for up to `graceMs`, then cut the rest. */
  async stop(graceMs: number): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.logger.warn({ graceMs }, 'OTLP gRPC receiver: calls still running at the deadline, forcing shutdown');
        server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Checks the bearer token on the headers, before the body is read or decompressed. Calls
   * grpc-js refuses by itself (over max_receive_message_length, bad compression) are not timed.
   */
  private intercept(call: ServerInterceptingCallInterface): ServerInterceptingCall {
    const started = process.hrtime.bigint();
    const listener = new ServerListenerBuilder()
      .withOnReceiveMetadata((metadata: Metadata, next: (m: Metadata) => void) => {
        const header = metadata.get('authorization').find((v): v is string => typeof v === 'string');
        if (this.authorized(header)) return next(metadata);
        this.logger.debug({ peer: call.getPeer() }, 'OTLP gRPC request refused: missing or invalid bearer token');
        this.record(started, GrpcStatus.UNAUTHENTICATED);
        call.sendStatus({ code: GrpcStatus.UNAUTHENTICATED, details: 'missing or invalid bearer token' });
      })
      .build();
    const responder = new ResponderBuilder().withStart((next) => next(listener)).build();
    return new ServerInterceptingCall(call, responder);
  }

  private record(started: bigint, code: GrpcStatus): void {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.telemetry.requestDuration.record(seconds, { transport: 'grpc', code: grpcCodeName(code) });
  }

  private async export(body: Buffer, callback: sendUnaryData<Buffer>): Promise<void> {
    const started = process.hrtime.bigint();
    const done: sendUnaryData<Buffer> = (err, value) => {
      this.record(started, err ? (err.code ?? GrpcStatus.UNKNOWN) : GrpcStatus.OK);
      callback(err, value);
    };
    if (this.inflight >= this.opts.maxInflight) {
      return this.fail(new OverloadedError(`more than ${this.opts.maxInflight} export requests in flight`), done);
    }
    this.inflight++;
    try {
      const answer = await this.handler({ body, format: 'protobuf', transport: 'grpc' });
      done(null, encodeExportResponseProto(answer));
    } catch (err) {
      this.fail(err, done);
    } finally {
      this.inflight--;
    }
  }

  private fail(err: unknown, callback: sendUnaryData<Buffer>): void {
    const f = mapFailure(err);
    this.logger[f.logLevel]({ err, code: grpcCodeName(f.grpcCode) }, f.unexpected ? 'OTLP gRPC export failed unexpectedly' : 'OTLP gRPC export refused');
    const metadata = new Metadata();
    if (f.retryAfterSeconds !== undefined) {
      // RetryInfo in the status details: the gRPC form of Retry-After.
      metadata.set('grpc-status-details-bin', encodeStatusProto(f.grpcCode, f.message, f.retryAfterSeconds));
    }
    callback({ code: f.grpcCode, details: f.message, metadata });
  }
}
