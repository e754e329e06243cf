/** Closed-loop gRPC load: `inflight` requests outstanding at all times for `durationMs`. */
import * as grpc from '@grpc/grpc-js';
import type { StampedRequest } from './reducer-requests';

const EXPORT = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const id = (b: Buffer): Buffer => b;

export function exportOnce(client: grpc.Client, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(EXPORT, id, id, body, new grpc.Metadata(), { deadline: Date.now() + 30_000 }, (err) => (err ? reject(err) : resolve()));
  });
}

export function client(port: number): grpc.Client {
  return new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
}

export interface LoadResult {
  requests: number;
  points: number;
  watched: number;
  seconds: number;
  errors: number;
}

/** Drive requests (cycled in order, each stamped with the current time) with a fixed number in flight; stops issuing at the deadline. */
export async function runLoad(c: grpc.Client, workload: StampedRequest[], inflight: number, durationMs: number): Promise<LoadResult> {
  const res: LoadResult = { requests: 0, points: 0, watched: 0, seconds: 0, errors: 0 };
  let next = 0;
  const start = process.hrtime.bigint();
  const deadline = Date.now() + durationMs;
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const w = workload[next++ % workload.length];
      try {
        await exportOnce(c, w.stamp(Date.now()));
        res.requests++;
        res.points += w.points;
        res.watched += w.watched;
      } catch {
        res.errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: inflight }, worker));
  res.seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return res;
}
