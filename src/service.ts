import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Config } from './config/config';
import { AdminServer } from './admin/admin-server';
import { AlertDispatcher } from './alert/dispatcher';
import { buildSinks } from './alert/build-sinks';
import { OtlpDecoder } from './decode/decoder';
import { Detector } from './detect/detector';
import { createExportHandler } from './ingest';
import { OtlpGrpcReceiver } from './receiver/otlp-grpc';
import { OtlpHttpReceiver } from './receiver/otlp-http';
import { openStore } from './store/open-store';
import type { BaselineStore } from './store/store';
import { createLogger, type Logger } from './telemetry/logger';
import { Telemetry } from './telemetry/metrics';
import { Maintenance } from './maintenance';

export interface ServiceOptions {
  logger?: Logger;
  /** Clock for detection (tests pin boundaries with it). */
  now?: () => number;
  /** Outbox consumer name; unique per process (defaults to host + random suffix). */
  consumerId?: string;
  /** Use this store instead of opening `cfg.store` (tests share one between instances). */
  store?: BaselineStore;
}

export interface BoundPorts {
  grpc: number;
  http: number;
  admin: number;
}

/**
 * One edgewatch process: receivers → decode → detect → store → outbox → sinks, plus admin.
 * Stops in order: intake, refresh flush, outbox drain, store.
 */
export class EdgewatchService {
  readonly logger: Logger;
  readonly telemetry: Telemetry;
  readonly store: BaselineStore;
  readonly detector: Detector;
  private readonly dispatcher: AlertDispatcher;
  private readonly grpc: OtlpGrpcReceiver;
  private readonly http: OtlpHttpReceiver;
  private readonly admin: AdminServer;
  private readonly maintenance: Maintenance;
  private readonly sinkNames: string[];
  private stopping: Promise<void> | null = null;

  constructor(readonly cfg: Readonly<Config>, opts: ServiceOptions = {}) {
    this.logger = opts.logger ?? createLogger(cfg.logLevel);
    this.telemetry = new Telemetry({ 'service.name': 'edgewatch' });
    this.store = opts.store ?? openStore(cfg.store, { redisPassword: cfg.redisPassword, redisKeyPrefix: cfg.redisKeyPrefix });
    const sinks = buildSinks(cfg, this.logger);
    this.sinkNames = sinks.map((s) => s.name);
    this.detector = new Detector(this.store, { ...cfg, now: opts.now }, this.telemetry);
    this.dispatcher = new AlertDispatcher(
      this.store,
      sinks,
      {
        consumerId: opts.consumerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
        concurrency: cfg.deliveryConcurrency,
        deadlineMs: cfg.deliveryDeadlineMs,
        timeoutMs: cfg.webhookTimeoutMs,
      },
      this.telemetry,
      this.logger,
    );
    this.detector.onAlerts(() => this.dispatcher.notify());
    const handler = createExportHandler(new OtlpDecoder(cfg), this.detector, this.telemetry);
    const recv = { maxMessageBytes: cfg.maxMessageBytes, authToken: cfg.authToken, maxInflight: cfg.maxInflightRequests };
    this.grpc = new OtlpGrpcReceiver({ addr: cfg.otlpGrpcAddr, ...recv }, handler, this.telemetry, this.logger);
    this.http = new OtlpHttpReceiver({ addr: cfg.otlpHttpAddr, ...recv }, handler, this.telemetry, this.logger);
    this.admin = new AdminServer({ addr: cfg.adminAddr, baselineScope: cfg.baselineScope }, this.store, this.telemetry, this.logger);
    this.maintenance = new Maintenance(this.detector, this.store, cfg, this.logger, opts.now);
    this.telemetry.gauge('edgewatch_cache_edges', 'Edges in the known-edge cache', () => [[this.detector.cache.size, {}]]);
    this.telemetry.gauge('edgewatch_refresh_pending', 'Last-seen refreshes waiting for the next flush', () => [[this.detector.refreshes.size, {}]]);
  }

  async start(): Promise<BoundPorts> {
    await this.store.init(this.sinkNames);
    this.dispatcher.start();
    this.maintenance.start();
    const admin = await this.admin.start();
    const grpc = (await this.grpc.start()).port;
    const http = (await this.http.start()).port;
    this.logger.info(
      { grpc: this.cfg.otlpGrpcAddr, http: this.cfg.otlpHttpAddr, admin: this.cfg.adminAddr, store: this.store.kind, sinks: this.sinkNames },
      'edgewatch started',
    );
    return { grpc, http, admin };
  }

  /** Graceful stop; idempotent. */
  stop(graceMs = 10_000): Promise<void> {
    this.stopping ??= this.doStop(graceMs);
    return this.stopping;
  }

  private async doStop(graceMs: number): Promise<void> {
    this.admin.setDraining();
    await Promise.all([this.grpc.stop(graceMs), this.http.stop(graceMs)]);
    this.maintenance.stop();
    await this.detector.flush().catch((err: unknown) => this.logger.error({ err }, 'final refresh flush failed'));
    await this.dispatcher.stop(graceMs);
    await this.store.close();
    await this.admin.stop(500);
    await this.telemetry.shutdown();
    this.logger.info('edgewatch stopped');
  }
}
