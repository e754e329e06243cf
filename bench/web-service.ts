/**
 * What the web benches share (bench/web-page.ts, bench/web-screenshot.ts): the built service
 * spawned on a memory store with learning_period 0 on free ports, reducer-shaped edges sent over
 * OTLP/gRPC, admin requests, and headless Chromium. The clients are test/helpers' own.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { chromium, type Browser } from 'playwright-core';
import { freePort } from '../test/helpers/free-port';
import { reducerRequest, type FixtureEdge } from '../test/helpers/otlp-fixtures';
import { closeGrpcClients, grpcExport, httpRequest, type HttpAnswer } from '../test/helpers/loopback-clients';

/** The repository root (this file runs from dist-bench/bench). */
export const ROOT = join(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface WebService {
  ports: { grpc: number; http: number; admin: number };
  /** Base URL of the page. */
  base: string;
  /** One OTLP export of these edges (all points at `timeMs`). */
  send(cluster: string, edges: FixtureEdge[], timeMs: number, names?: string[]): Promise<void>;
  request(method: string, path: string, body?: string, headers?: Record<string, string>): Promise<HttpAnswer>;
  getJson<T>(path: string): Promise<T>;
  stop(): void;
}

/** `bin/edgewatch.js serve` on `memory:` with learning_period 0; `env` adds or overrides EDGEWATCH_* settings. */
export async function startWebService(env: Record<string, string> = {}): Promise<WebService> {
  const ports = { grpc: await freePort(), http: await freePort(), admin: await freePort() };
  const child = spawn(process.execPath, [join(ROOT, 'bin/edgewatch.js'), 'serve'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      EDGEWATCH_OTLP_GRPC_ADDR: `127.0.0.1:${ports.grpc}`,
      EDGEWATCH_OTLP_HTTP_ADDR: `127.0.0.1:${ports.http}`,
      EDGEWATCH_ADMIN_ADDR: `127.0.0.1:${ports.admin}`,
      EDGEWATCH_STORE: 'memory:',
      EDGEWATCH_LEARNING_PERIOD: '0',
      EDGEWATCH_LOG_LEVEL: 'warn',
      ...env,
    },
  });
  const request = (method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<HttpAnswer> => httpRequest(ports.admin, method, path, body, headers);
  const up = (): Promise<boolean> => request('GET', '/readyz').then((r) => r.status === 200, () => false);
  for (let i = 0; i < 200 && !(await up()); i++) await new Promise((r) => setTimeout(r, 100));
  return {
    ports,
    base: `http://127.0.0.1:${ports.admin}`,
    send: async (cluster, edges, timeMs, names = ['tcp.packets']) => {
      const body = reducerRequest({ cluster, edges, names, metricsPerRequest: edges.length, timeMs }).protobuf;
      const r = await grpcExport(ports.grpc, body);
      if (r.code !== status.OK) throw new Error(`OTLP export answered ${r.code}: ${r.details}`);
    },
    request,
    getJson: async <T>(path: string): Promise<T> => JSON.parse((await request('GET', path)).body.toString('utf8')) as T,
    stop: () => {
      closeGrpcClients();
      child.kill('SIGTERM');
    },
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}
