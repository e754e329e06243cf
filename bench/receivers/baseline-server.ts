/**
 * Baseline receivers for the benchmark, run as child processes:
 *   transport — grpc-js MetricsService/Export that hands the raw bytes through, no decoding;
 *   protobufjs — the usual grpc-js + @grpc/proto-loader receiver that fully decodes each request.
 * Prints "PORT <n>" when listening.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';

const mode = process.argv[2];
const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
const EXPORT = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

if (mode === 'transport') {
  const id = (b: Buffer): Buffer => b;
  const empty = Buffer.alloc(0);
  server.addService(
    { Export: { path: EXPORT, requestStream: false, responseStream: false, requestSerialize: id, requestDeserialize: id, responseSerialize: id, responseDeserialize: id } },
    { Export: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, empty) },
  );
} else if (mode === 'protobufjs') {
  const protoDir = join(__dirname, '../../../proto');
  const def = protoLoader.loadSync('opentelemetry/proto/collector/metrics/v1/metrics_service.proto', {
    includeDirs: [protoDir],
    longs: String,
    enums: Number,
    defaults: false,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    opentelemetry: { proto: { collector: { metrics: { v1: { MetricsService: { service: grpc.ServiceDefinition } } } } } };
  };
  let points = 0;
  process.on('SIGTERM', () => process.stderr.write(`protobufjs receiver decoded ${points} metrics\n`));
  server.addService(pkg.opentelemetry.proto.collector.metrics.v1.MetricsService.service, {
    Export: (call: grpc.ServerUnaryCall<{ resourceMetrics?: Array<{ scopeMetrics?: Array<{ metrics?: unknown[] }> }> }, object>, cb: grpc.sendUnaryData<object>) => {
      // Touch the decoded request so the work cannot be skipped.
      for (const rm of call.request.resourceMetrics ?? []) for (const sm of rm.scopeMetrics ?? []) points += sm.metrics?.length ?? 0;
      cb(null, {});
    },
  });
} else {
  throw new Error(`unknown mode ${mode}`);
}

server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`PORT ${port}\n`);
});
process.on('SIGTERM', () => server.forceShutdown());
