/**
 * Clients that speak to a service on loopback the way a collector and an operator do: raw OTLP
 * gRPC export bytes and admin HTTP requests. No service code imported (the benches use these).
 */
import * as grpc from '@grpc/grpc-js';
import { request } from 'node:http';

export const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

export interface GrpcAnswer {
  code: grpc.status;
  details: string;
  body?: Buffer;
}

const clients = new Map<number, grpc.Client>();

/** Export raw request bytes over gRPC (optionally gzip-compressed by grpc-js). */
export function grpcExport(port: number, body: Buffer, opts: { gzip?: boolean; token?: string } = {}): Promise<GrpcAnswer> {
  const key = port * 2 + (opts.gzip ? 1 : 0);
  let client = clients.get(key);
  if (!client) {
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), opts.gzip ? { 'grpc.default_compression_algorithm': 2 } : {});
    clients.set(key, client);
  }
  const md = new grpc.Metadata();
  if (opts.token) md.set('authorization', `Bearer ${opts.token}`);
  const id = (b: Buffer): Buffer => b;
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT_PATH, id, id, body, md, { deadline: Date.now() + 10_000 }, (err, res) =>
      resolve(err ? { code: err.code, details: err.details } : { code: grpc.status.OK, details: '', body: res ?? undefined }),
    );
  });
}

export function closeGrpcClients(): void {
  for (const c of clients.values()) c.close();
  clients.clear();
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export function httpRequest(port: number, method: string, path: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export async function getJson<T>(port: number, path: string): Promise<{ status: number; json: T }> {
  const r = await httpRequest(port, 'GET', path);
  return { status: r.status, json: JSON.parse(r.body.toString('utf8')) as T };
}
