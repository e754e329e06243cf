import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Attributes as OtelAttributes, type Counter, type Histogram, type ObservableResult } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type MetricReader } from '@opentelemetry/sdk-metrics';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A gauge read at collection time; returns [value, attributes] pairs. */
export type GaugeSource = () => Promise<Array<[number, OtelAttributes]>> | Array<[number, OtelAttributes]>;

/**
 * edgewatch's own metrics: the instruments every stage records into, exported as Prometheus
 * text on the admin server (README "Metrics" explains each). Built on the OpenTelemetry SDK so
 * the same instruments can also be pushed over OTLP.
 */
export class Telemetry {
  readonly provider: MeterProvider;
  private readonly prometheus: PrometheusExporter;
  /** Data points of watched metrics received, by metric name. */
  readonly pointsReceived: Counter;
  /** Data points dropped, by reason. */
  readonly pointsDropped: Counter;
  /** Point times replaced by the receive time, by reason (missing, future). */
  readonly pointsRetimed: Counter;
  /** Newly seen edges (with or without an alert), by protocol. */
  readonly edgesNew: Counter;
  /** New edges that raised no alert, by reason (late, learning, filtered). */
  readonly alertsSuppressed: Counter;
  /** Alerts put in the outbox. */
  readonly alertsEnqueued: Counter;
  /** Alert deliveries that succeeded, by sink. */
  readonly alertsSent: Counter;
  /** Alert deliveries that failed for good, by sink. */
  readonly alertsFailed: Counter;
  /** Delivery attempts that will be retried, by sink. */
  readonly alertsRetried: Counter;
  /** Time from the detector deciding to the sink accepting, seconds. */
  readonly alertLatency: Histogram;
  /** Store operation latency by op and outcome, seconds. */
  readonly storeDuration: Histogram;
  /** OTLP export request latency by transport and status code, seconds. */
  readonly requestDuration: Histogram;
  /** Known-edge cache lookups, by result (hit, miss). */
  readonly cacheLookups: Counter;
  /** Later points of cached edges, by result (written: handed to the store; within_period: last_seen_resolution kept it in the cache). */
  readonly lastSeenRefreshes: Counter;
  /** Forgets applied from the store's forget log, by kind (edge: one edge dropped; all: the whole cache). */
  readonly forgetsApplied: Counter;
  /** Anomalous (10 s bucket, metric) pairs found by the traffic detections, by detection. */
  readonly trafficAnomalies: Counter;
  /** (Bucket, metric) pairs of the traffic detections judged by no verdict, by reason (min_points, late). */
  readonly trafficVerdictsSkipped: Counter;
  /** Traffic keys refused because `traffic_max_keys` were held (their points dropped). */
  readonly trafficKeysDropped: Counter;

  constructor(attributes: OtelAttributes = { 'service.name': 'edgewatch' }, extraReaders: MetricReader[] = []) {
    this.prometheus = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
    this.provider = new MeterProvider({
      resource: resourceFromAttributes(attributes),
      readers: [this.prometheus, ...extraReaders],
    });
    const m = this.provider.getMeter('edgewatch');
    // Names carry the unit (Prometheus convention); no OTel unit, so no `# UNIT` line is emitted.
    const latency = { advice: { explicitBucketBoundaries: LATENCY_BUCKETS } };
    this.pointsReceived = m.createCounter('edgewatch_points_received', { description: 'Data points of watched metrics received' });
    this.pointsDropped = m.createCounter('edgewatch_points_dropped', { description: 'Data points of watched metrics dropped, by reason' });
    this.pointsRetimed = m.createCounter('edgewatch_points_retimed', { description: 'Point times replaced by the receive time (missing or in the future)' });
    this.edgesNew = m.createCounter('edgewatch_edges_new', { description: 'Newly seen edges' });
    this.alertsSuppressed = m.createCounter('edgewatch_alerts_suppressed', { description: 'New edges that raised no alert, by reason' });
    this.alertsEnqueued = m.createCounter('edgewatch_alerts_enqueued', { description: 'Alerts written to the outbox' });
    this.alertsSent = m.createCounter('edgewatch_alerts_sent', { description: 'Alerts delivered, by sink' });
    this.alertsFailed = m.createCounter('edgewatch_alerts_failed', { description: 'Alert deliveries failed for good, by sink' });
    this.alertsRetried = m.createCounter('edgewatch_alerts_retried', { description: 'Alert delivery attempts to be retried, by sink' });
    this.alertLatency = m.createHistogram('edgewatch_alert_latency_seconds', { description: 'Detection to delivery', ...latency });
    this.storeDuration = m.createHistogram('edgewatch_store_operation_duration_seconds', { description: 'Store operation latency', ...latency });
    this.requestDuration = m.createHistogram('edgewatch_export_request_duration_seconds', { description: 'OTLP export request latency', ...latency });
    this.cacheLookups = m.createCounter('edgewatch_cache_lookups', { description: 'Known-edge cache lookups, by result' });
    this.lastSeenRefreshes = m.createCounter('edgewatch_last_seen_refreshes', { description: 'Later points of cached edges: written to the store, or kept in the cache within their last_seen_resolution period' });
    this.forgetsApplied = m.createCounter('edgewatch_forgets_applied', { description: 'Forgets read from the forget log and applied to the known-edge cache, by kind' });
    this.trafficAnomalies = m.createCounter('edgewatch_traffic_anomalies', { description: 'Anomalous (10 s bucket, metric) pairs of the traffic detections, by detection' });
    this.trafficVerdictsSkipped = m.createCounter('edgewatch_traffic_verdicts_skipped', { description: 'Traffic (bucket, metric) pairs given no verdict, by reason' });
    this.trafficKeysDropped = m.createCounter('edgewatch_traffic_keys_dropped', { description: 'Traffic keys refused because traffic_max_keys were held' });
    // The Prometheus client's standard name, so existing process dashboards find it.
    this.gauge('process_resident_memory_bytes', 'Resident memory size in bytes', () => [[process.memoryUsage.rss(), {}]]);
  }

  /** Register a gauge whose value is read at scrape time. */
  gauge(name: string, description: string, source: GaugeSource): void {
    const g = this.provider.getMeter('edgewatch').createObservableGauge(name, { description });
    g.addCallback(async (result: ObservableResult) => {
      try {
        for (const [value, attrs] of await source()) result.observe(value, attrs);
      } catch {
        // A failing source (store down) must not break the scrape; the gauge is just absent.
      }
    });
  }

  /** Register a counter whose running total is read at scrape time (a count kept by a stage itself). */
  counterFrom(name: string, description: string, total: () => number): void {
    const c = this.provider.getMeter('edgewatch').createObservableCounter(name, { description });
    c.addCallback((result: ObservableResult) => result.observe(total()));
  }

  /** Time an async operation into a histogram with `outcome` ok|error. */
  async time<T>(h: Histogram, attrs: OtelAttributes, fn: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    let outcome = 'ok';
    try {
      return await fn();
    } catch (err) {
      outcome = 'error';
      throw err;
    } finally {
      h.record(Number(process.hrtime.bigint() - start) / 1e9, { ...attrs, outcome });
    }
  }

  /** Serve Prometheus text (the admin server's GET /metrics). */
  handlePrometheus(req: IncomingMessage, res: ServerResponse): void {
    this.prometheus.getMetricsRequestHandler(req, res);
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}
