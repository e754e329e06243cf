/** Child processes for the benchmark: baseline receivers and edgewatch (redis-server comes from test/helpers). */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../test/helpers/free-port';
import { serviceNodeFlags } from '../test/helpers/node-flags';
import type { RedisServer } from '../test/helpers/redis-server';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get } from 'node:http';

export interface Proc {
  child: ChildProcess;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
}

/** A baseline receiver (`transport` | `protobufjs`), with the service's Node flags; resolves with its port. */
export function startBaseline(mode: string): Promise<Proc & { port: number }> {
  const child = spawn(process.execPath, [...serviceNodeFlags(), join(__dirname, 'receivers/baseline-server.js'), mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]), stop: stopper(child) });
    });
    child.once('exit', (code) => reject(new Error(`baseline ${mode} exited ${code}`)));
  });
}

export function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time: a kept-alive socket the server closed meanwhile would hang up.
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

async function waitReady(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await httpGet(port, '/readyz')).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('edgewatch did not become ready');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The built edgewatch, started as `npm start` starts it, with the given store and webhook. */
export async function startEdgewatch(store: string, webhookUrl: string, extraEnv: Record<string, string> = {}, extraNodeFlags: string[] = []): Promise<Proc & { grpc: number; admin: number }> {
  const [grpc, http, admin] = [await freePort(), await freePort(), await freePort()];
  // extraNodeFlags: e.g. --cpu-prof, which NODE_OPTIONS does not take.
  const child = spawn(process.execPath, [...serviceNodeFlags(), ...extraNodeFlags, join(__dirname, '../../bin/edgewatch.js'), 'serve'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      EDGEWATCH_OTLP_GRPC_ADDR: `127.0.0.1:${grpc}`,
      EDGEWATCH_OTLP_HTTP_ADDR: `127.0.0.1:${http}`,
      EDGEWATCH_ADMIN_ADDR: `127.0.0.1:${admin}`,
      EDGEWATCH_STORE: store,
      EDGEWATCH_WEBHOOK_URL: webhookUrl,
      EDGEWATCH_LEARNING_PERIOD: '0',
      EDGEWATCH_LOG_LEVEL: 'warn',
      // Every new edge must alert for the latency measurement, not a storm summary.
      EDGEWATCH_STORM_MAX_ALERTS_PER_MINUTE: '0',
      ...extraEnv,
    },
  });
  await waitReady(admin, 20_000);
  return { child, grpc, admin, stop: stopper(child) };
}

/** Total calls from `INFO commandstats` of a test-helper redis-server (INFO and PING left out). */
export function redisCommandCalls(redis: RedisServer): number {
  let total = 0;
  for (const m of redis.cli('info', 'commandstats').matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) if (m[1] !== 'info' && m[1] !== 'ping') total += Number(m[2]);
  return total;
}

/** Sum over all label sets of one metric on edgewatch's /metrics. */
async function metricSum(adminPort: number, name: string): Promise<number> {
  const { body } = await httpGet(adminPort, '/metrics');
  let total = 0;
  for (const m of body.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)`, 'gm'))) total += Number(m[1]);
  return total;
}

/** Store operations edgewatch counted (`edgewatch_store_operation_duration_seconds_count`). */
export const storeOps = (adminPort: number): Promise<number> => metricSum(adminPort, 'edgewatch_store_operation_duration_seconds_count');

/** Alert deliveries still in the outbox (`edgewatch_alerts_pending`, all sinks). */
const alertsPending = (adminPort: number): Promise<number> => metricSum(adminPort, 'edgewatch_alerts_pending');

/** Steady state: the warm-up's alerts are delivered and a refresh flush has run since. */
export async function settle(adminPort: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await alertsPending(adminPort)) > 0) {
    if (Date.now() > deadline) throw new Error('warm-up alerts still pending');
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1500));
}

export function tempDbPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'ew-bench-')), 'edgewatch.db');
}
