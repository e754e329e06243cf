'use strict';
/**
 * Plays the OpenTelemetry eBPF reducer in the compose demo: delta tcp.packets / udp.packets
 * points with the reducer's data-point attributes for a few steady edges, and every minute one
 * edge never seen before (which edgewatch alerts on). Runs inside the edgewatch image, whose
 * production dependencies include the OpenTelemetry SDK and the OTLP/gRPC exporter.
 *
 *   OTLP_ENDPOINT   where to send (default http://localhost:4317; the collector in compose)
 *   DEMO_CLUSTER    k8s.cluster.name on the resource (unset: the collector adds it)
 *   DEMO_ONCE=1     send one round with one new edge, print it as JSON, exit (used by a test)
 *   OTEL_EXPORTER_OTLP_HEADERS   e.g. "authorization=Bearer TOKEN" when sending to edgewatch directly
 */
const { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-grpc');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const endpoint = process.env.OTLP_ENDPOINT || 'http://localhost:4317';
const once = process.env.DEMO_ONCE === '1';
const resource = { 'service.name': 'demo-traffic' };
if (process.env.DEMO_CLUSTER) resource['k8s.cluster.name'] = process.env.DEMO_CLUSTER;

const STEADY = [
  ['frontend', 'shop', 'cart', 'shop', 'tcp'],
  ['cart', 'shop', 'redis', 'shop', 'tcp'],
  ['frontend', 'shop', 'payments', 'shop', 'tcp'],
  ['frontend', 'shop', 'coredns', 'kube-system', 'udp'],
];
const NEWCOMERS = ['(internet)', 'api.stripe.com', 'ledger', 'admin-panel', 'metadata.google.internal'];

const exporter = new OTLPMetricExporter({ url: endpoint, temporalityPreference: AggregationTemporality.DELTA });
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 10_000 });
const provider = new MeterProvider({ resource: resourceFromAttributes(resource), readers: [reader] });
const meter = provider.getMeter('demo-traffic');
const packets = { tcp: meter.createCounter('tcp.packets'), udp: meter.createCounter('udp.packets') };

function record([src, srcNs, dst, dstNs, proto]) {
  packets[proto].add(1 + Math.floor(Math.random() * 100), {
    'source.workload.name': src,
    'source.namespace.name': srcNs,
    'dest.workload.name': dst,
    'dest.namespace.name': dstNs,
    sf_product: 'network-explorer',
  });
}

function newEdge(i) {
  return [`batch-job-${Date.now().toString(36)}`, 'jobs', NEWCOMERS[i % NEWCOMERS.length], 'external', 'tcp'];
}

async function main() {
  if (once) {
    const edge = newEdge(0);
    STEADY.forEach(record);
    record(edge);
    await provider.forceFlush();
    await provider.shutdown();
    process.stdout.write(JSON.stringify({ source: edge[0], dest: edge[2] }) + '\n');
    return;
  }
  let round = 0;
  const tick = () => {
    STEADY.forEach(record);
    if (round % 6 === 0) {
      const edge = newEdge(round / 6);
      record(edge);
      console.log(`demo-traffic: new edge ${edge[0]} -> ${edge[2]}`);
    }
    round++;
  };
  tick();
  setInterval(tick, 10_000);
  const stop = () => provider.shutdown().finally(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
