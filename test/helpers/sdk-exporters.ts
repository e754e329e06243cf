/**
 * The real OpenTelemetry exporters as clients: the SDK records counters with the reducer's
 * attributes and the OTLP exporters send them, exactly as an instrumented process would.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';

export interface SdkEdge {
  src: string;
  dst: string;
  /** Metric name, default tcp.packets. */
  metric?: string;
}

class PullReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

async function collect(cluster: string, edges: SdkEdge[]): Promise<ResourceMetrics> {
  const reader = new PullReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'k8s.cluster.name': cluster }), readers: [reader] });
  const meter = provider.getMeter('edgewatch-test');
  for (const e of edges) {
    meter.createCounter(e.metric ?? 'tcp.packets').add(3, {
      'source.workload.name': e.src,
      'dest.workload.name': e.dst,
      'source.namespace.name': 'shop',
      'dest.namespace.name': 'shop',
    });
  }
  const { resourceMetrics } = await reader.collect();
  await provider.shutdown();
  return resourceMetrics;
}

/**
 * Export with @opentelemetry/exporter-metrics-otlp-grpc; resolves with the ExportResult code (0 = SUCCESS).
 * `port` may also be a `host:port` endpoint (e.g. a collector exporter's `localhost:14317`).
 */
export async function exportViaGrpcExporter(port: number | string, cluster: string, edges: SdkEdge[], gzip = false): Promise<{ code: number; error?: string }> {
  const endpoint = typeof port === 'number' ? `127.0.0.1:${port}` : port;
  const exporter = new GrpcExporter({ url: `http://${endpoint}`, compression: gzip ? ('gzip' as never) : ('none' as never), timeoutMillis: 5000 });
  const rm = await collect(cluster, edges);
  const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(rm, resolve));
  await exporter.shutdown();
  return { code: result.code, error: result.error?.message };
}

// The HTTP exporter loads node:http with a dynamic import() that jest's VM cannot run, so it runs
// unmodified in a plain node child.
const HTTP_SCRIPT = `
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-http');
const { MeterProvider, MetricReader } = require('@opentelemetry/sdk-metrics');
const { resourceFromAttributes } = require('@opentelemetry/resources');
class PullReader extends MetricReader { async onForceFlush() {} async onShutdown() {} }
(async () => {
  const [url, cluster, edgesJson, compression] = process.argv.slice(1);
  const reader = new PullReader();
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'k8s.cluster.name': cluster }), readers: [reader] });
  const meter = provider.getMeter('edgewatch-test');
  for (const e of JSON.parse(edgesJson)) {
    meter.createCounter(e.metric || 'tcp.packets').add(3, { 'source.workload.name': e.src, 'dest.workload.name': e.dst, 'source.namespace.name': 'shop', 'dest.namespace.name': 'shop' });
  }
  const { resourceMetrics } = await reader.collect();
  const exporter = new OTLPMetricExporter({ url, compression, timeoutMillis: 5000 });
  const r = await new Promise((resolve) => exporter.export(resourceMetrics, resolve));
  await exporter.shutdown();
  process.stdout.write(JSON.stringify({ code: r.code, error: r.error ? String(r.error) : undefined }));
})();
`;

/** Export with @opentelemetry/exporter-metrics-otlp-http (OTLP/JSON) from a child process. */
export function exportViaHttpExporter(port: number, cluster: string, edges: SdkEdge[], gzip = false): Promise<{ code: number; error?: string }> {
  const args = ['-e', HTTP_SCRIPT, `http://127.0.0.1:${port}/v1/metrics`, cluster, JSON.stringify(edges), gzip ? 'gzip' : 'none'];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: join(__dirname, '../..'), timeout: 20_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`exporter child failed: ${err.message} ${stderr}`)) : resolve(JSON.parse(stdout) as { code: number; error?: string }),
    );
  });
}
