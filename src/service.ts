import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Config } from './config/config';
import { AdminServer } from './admin/admin-server';
import { AlertDispatcher } from './alert/dispatcher';
import { buildSinks, maxSinkTimeoutMs } from './alert/build-sinks';
import { AlertGuards } from './detect/alert-guards';
import type { ReloadResult } from './detect/filter-rules-watcher';
import { OtlpDecoder } from './decode/decoder';
import { Detector } from './detect/detector';
import { CacheUpkeep } from './detect/cache-upkeep';
import { LearningLog } from './detect/learning-log';
import { TrafficStage } from './detect/traffic/traffic-stage';
import { TRAFFIC_DETECTIONS } from './core/traffic';
import { createExportHandler } from './ingest';
import { OtlpGrpcReceiver } from './receiver/otlp-grpc';
import { OtlpHttpReceiver } from './receiver/otlp-http';
import { openStore } from './store/open-store';
import { StoreInit } from './store/store-init';
import { timedStore } from './store/timed-store';
import type { ExportHandler } from './receiver/export-handler';
import type { BaselineStore } from './store/store';
import type { EdgeKey } from './core/edge';
import { createLogger, type Logger } from './telemetry/logger';
import { Telemetry } from './telemetry/metrics';
import { Maintenance } from './maintenance';
import { TlsReloader } from './receiver/tls-reloader';
import { selfExportReaders } from './telemetry/self-export';
import { version } from './version';

/** Deliveries in flight get at least this long at shutdown, even when requests used the whole budget. */
const MIN_DRAIN_MS = 1_000;

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
  /** The traffic-anomaly detections; null unless `detections` names one. */
  readonly traffic: TrafficStage | null = null;
  private readonly dispatcher: AlertDispatcher;
  private readonly grpc: OtlpGrpcReceiver;
  private readonly http: OtlpHttpReceiver;
  private readonly admin: AdminServer;
  private readonly maintenance: Maintenance;
  private readonly cacheUpkeep: CacheUpkeep;
  private readonly learningLog: LearningLog;
  /** Filter rules and storm guard between the detector and the outbox. */
  readonly guards: AlertGuards;
  private readonly sinkNames: string[];
  private readonly storeInit: StoreInit;
  private readonly tls: TlsReloader | undefined;
  private stopping: Promise<void> | null = null;

  constructor(readonly cfg: Readonly<Config>, opts: ServiceOptions = {}) {
    this.logger = opts.logger ?? createLogger(cfg.logLevel);
    const instanceId = opts.consumerId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.telemetry = new Telemetry(
      { 'service.name': 'edgewatch', 'service.version': version, 'service.instance.id': instanceId },
      selfExportReaders({ endpoint: cfg.selfOtlpEndpoint, intervalMs: cfg.selfOtlpIntervalMs }, this.logger),
    );
    this.tls = TlsReloader.fromConfig(cfg, this.logger, this.telemetry);
    this.store = timedStore(opts.store ?? openStore(cfg.store, { redisPassword: cfg.redisPassword, redisKeyPrefix: cfg.redisKeyPrefix, log: this.logger }), this.telemetry);
    const sinks = buildSinks(cfg, this.logger);
    this.sinkNames = sinks.map((s) => s.name);
    this.detector = new Detector(this.store, { ...cfg, now: opts.now }, this.telemetry);
    this.dispatcher = new AlertDispatcher(
      this.store,
      sinks,
      {
        consumerId: instanceId,
        concurrency: cfg.deliveryConcurrency,
        deadlineMs: cfg.deliveryDeadlineMs,
        timeoutMs: maxSinkTimeoutMs(cfg),
      },
      this.telemetry,
      this.logger,
    );
    this.detector.onAlerts(() => this.dispatcher.notify());
    this.learningLog = new LearningLog(cfg.learningPeriodMs, this.logger, opts.now);
    this.detector.onScopeNoted((scope, firstMs, created) => this.learningLog.noted(scope, firstMs, created));
    this.guards = new AlertGuards(cfg, this.detector, this.store, { now: opts.now, notify: () => this.dispatcher.notify() }, this.telemetry, this.logger);
    this.storeInit = new StoreInit(this.store, this.sinkNames, this.logger);
    // Samples only when a traffic detection is on: otherwise the decoder skips those metrics undecoded.
    const trafficDetections = TRAFFIC_DETECTIONS.filter((d) => cfg.detections.includes(d));
    if (trafficDetections.length > 0) {
      const traffic = new TrafficStage(this.store, { ...cfg, detections: trafficDetections, now: opts.now }, this.telemetry, this.logger);
      traffic.setFilter((obs) => this.guards.filterAndCount(obs));
      traffic.setStormPolicy(this.guards.storm?.policy ?? null);
      traffic.onAlerts(() => this.dispatcher.notify());
      this.telemetry.gauge('edgewatch_traffic_keys', 'Traffic keys held in process memory (traffic detections)', () => [[traffic.table.size, {}]]);
      this.traffic = traffic;
    }
    const decoder = new OtlpDecoder({ ...cfg, trafficMetrics: this.traffic === null ? [] : cfg.trafficMetrics });
    const ingest = createExportHandler(decoder, cfg.detections.includes('new_edge') ? this.detector : null, this.telemetry, this.traffic);
    // Until the store is initialised, OTLP answers UNAVAILABLE: the collector keeps the data.
    const handler: ExportHandler = (req) => {
      this.storeInit.check();
      return ingest(req);
    };
    const recv = { maxMessageBytes: cfg.maxMessageBytes, authToken: cfg.authToken, maxInflight: cfg.maxInflightRequests, tls: this.tls };
    this.grpc = new OtlpGrpcReceiver({ addr: cfg.otlpGrpcAddr, ...recv }, handler, this.telemetry, this.logger);
    this.http = new OtlpHttpReceiver({ addr: cfg.otlpHttpAddr, ...recv }, handler, this.telemetry, this.logger);
    const forget = (key: EdgeKey): void => this.detector.forget(key);
    const rulesFile = cfg.rulesFile;
    const fileRules = () => (this.guards.rules && rulesFile ? { path: rulesFile, rules: this.guards.rules.loaded } : null);
    this.admin = new AdminServer(
      { addr: cfg.adminAddr, baselineScope: cfg.baselineScope, adminToken: cfg.adminToken, learningPeriodMs: cfg.learningPeriodMs, onForget: forget, onRulesChanged: () => this.guards.stored.sync(), fileRules },
      this.store,
      this.telemetry,
      this.logger,
    );
    this.maintenance = new Maintenance(this.detector, this.store, cfg, this.logger, opts.now);
    const trafficStage = this.traffic;
    if (trafficStage !== null) this.maintenance.onFlush(() => trafficStage.flush(), 'traffic flush');
    this.telemetry.counterFrom('edgewatch_edges_pruned', 'Edges pruned (older than the baseline window), counted per slice as a prune runs', () => this.maintenance.prunedTotal);
    this.telemetry.gauge('edgewatch_cache_edges', 'Edges in the known-edge cache', () => [[this.detector.cache.size, {}]]);
    this.cacheUpkeep = new CacheUpkeep(this.detector, cfg, this.telemetry, this.logger);
    this.telemetry.gauge('edgewatch_refresh_pending', 'Last-seen refreshes waiting for the next flush', () => [[this.detector.refreshes.size, {}]]);
  }

  async start(): Promise<BoundPorts> {
    await this.storeInit.start();
    this.storeInit.onReady(() => this.dispatcher.start());
    // Take the forget log's position before traffic fills the cache (the first read clears it);
    // a failure is retried, and logged, by the next flush.
    this.storeInit.onReady(() => void this.detector.syncForgets().catch(() => undefined));
    // Refill the cache from the store in the background (cache_warm): steady throughput in seconds, not after one store lookup per edge.
    this.storeInit.onReady(() => this.cacheUpkeep.start());
    // Clusters still learning from before this start get their "left its learning period" line too.
    if (this.cfg.learningPeriodMs > 0) {
      this.storeInit.onReady(() => void this.store.listScopes().then((s) => this.learningLog.resume(s), (err: unknown) => this.logger.warn({ err }, 'could not list clusters for the learning log')));
    }
    this.maintenance.start();
    this.guards.start();
    this.tls?.start();
    const admin = await this.admin.start();
    const grpc = (await this.grpc.start()).port;
    const http = (await this.http.start()).port;
    this.logger.info(
      { grpc: this.cfg.otlpGrpcAddr, http: this.cfg.otlpHttpAddr, admin: this.cfg.adminAddr, store: this.store.kind, sinks: this.sinkNames },
      'edgewatch started',
    );
    return { grpc, http, admin };
  }

  /** Re-read the filter rules file (SIGHUP); a bad file is logged and the rules in force stay. */
  reloadRules(): Promise<ReloadResult> {
    return this.guards.reloadRules();
  }

  /** Graceful stop within about `graceMs` (default shutdown_timeout); idempotent. */
  stop(graceMs = this.cfg.shutdownTimeoutMs): Promise<void> {
    this.stopping ??= this.doStop(graceMs);
    return this.stopping;
  }

  private async doStop(graceMs: number): Promise<void> {
    // One budget for the whole drain: what requests leave unused, alert deliveries may use.
    const deadline = Date.now() + graceMs;
    this.admin.setDraining();
    await Promise.all([this.grpc.stop(graceMs), this.http.stop(graceMs)]);
    this.tls?.stop();
    this.maintenance.stop();
    this.cacheUpkeep.stop();
    this.learningLog.stop();
    this.storeInit.stop();
    await this.detector.flush().catch((err: unknown) => this.logger.error({ err }, 'final refresh flush failed'));
    // Open buckets are judged with the points they have: no later point would reach this process.
    await this.traffic?.flush({ final: true }).catch((err: unknown) => this.logger.error({ err }, 'final traffic flush failed'));
    await this.guards.stop();
    await this.dispatcher.stop(Math.max(MIN_DRAIN_MS, deadline - Date.now()));
    await this.store.close();
    await this.admin.stop(500);
    await this.telemetry.shutdown();
    this.logger.info('edgewatch stopped');
  }
}
