import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import {
  PeriodicExportingMetricReader,
  type AggregationOption,
  type AggregationTemporality,
  type InstrumentType,
  type MetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { ConfigError } from '../core/errors';
import type { Logger } from './logger';

export interface SelfExportOptions {
  /** config self_otlp_endpoint: `http://host:4317` (plaintext), `https://…` (TLS) or `host:port`. */
  endpoint?: string;
  /** config self_otlp_interval. */
  intervalMs: number;
}

/** An export should never outlive its slot, nor hold a shutdown for long. */
const MAX_EXPORT_TIMEOUT_MS = 10_000;

/** `host:port` means plaintext, as the collector's own otlp receiver listens by default. */
export function selfOtlpUrl(endpoint: string): string {
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('self_otlp_endpoint', 'an OTLP/gRPC endpoint like http://collector:4317 or https://collector:4317', endpoint);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigError('self_otlp_endpoint', 'an http:// (plaintext) or https:// (TLS) endpoint', endpoint);
  }
  return url;
}

/**
 * Logs when pushing starts failing and when it recovers (the SDK's own diagnostics are silent
 * by default), once per change rather than once per interval.
 */
class LoggingExporter implements PushMetricExporter {
  private failing = false;

  constructor(
    private readonly inner: OTLPMetricExporter,
    private readonly url: string,
    private readonly logger: Logger,
  ) {}

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.inner.export(metrics, (result) => {
      const failed = result.code !== ExportResultCode.SUCCESS;
      if (failed && !this.failing) this.logger.warn({ endpoint: this.url, err: result.error?.message }, 'pushing own metrics over OTLP failed; retrying every interval');
      if (!failed && this.failing) this.logger.info({ endpoint: this.url }, 'pushing own metrics over OTLP works again');
      this.failing = failed;
      resultCallback(result);
    });
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return this.inner.selectAggregationTemporality(instrumentType);
  }

  selectAggregation(instrumentType: InstrumentType): AggregationOption {
    return this.inner.selectAggregation(instrumentType);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/**
 * The extra metric readers of Telemetry: none, or one that pushes the same instruments that
 * /metrics shows to an OTLP/gRPC endpoint every interval (and once more at shutdown).
 * The exporter also honours the standard OTEL_EXPORTER_OTLP_* variables (headers, certificates).
 */
export function selfExportReaders(opts: SelfExportOptions, logger: Logger): MetricReader[] {
  if (opts.endpoint === undefined || opts.endpoint.trim() === '') return [];
  if (!(opts.intervalMs > 0)) throw new ConfigError('self_otlp_interval', 'a duration greater than 0', opts.intervalMs);
  const url = selfOtlpUrl(opts.endpoint.trim());
  const timeoutMs = Math.min(opts.intervalMs, MAX_EXPORT_TIMEOUT_MS);
  const exporter = new LoggingExporter(new OTLPMetricExporter({ url, timeoutMillis: timeoutMs }), url, logger);
  logger.info({ endpoint: url, intervalMs: opts.intervalMs }, 'pushing own metrics over OTLP/gRPC');
  return [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: opts.intervalMs, exportTimeoutMillis: timeoutMs })];
}
