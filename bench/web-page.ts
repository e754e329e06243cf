/**
 * `npm run bench:web`: time from navigation to an interactive map (layout done, the map's
 * `data-ready`) in headless Chromium, and the bytes the page transferred, at W workloads / E edges
 * in W/100 namespaces (default 500/2000 and 5000/20000). The built service on a memory store,
 * learning_period 0 and no storm cap, so every edge alerts (the alerts carry the namespaces).
 *
 *   BENCH_WEB_SIZES   comma-separated W:E pairs (default 500:2000,5000:20000)
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { request } from 'node:http';
import { chromium } from 'playwright-core';
import { freePort } from '../test/helpers/free-port';
import { reducerRequest, type FixtureEdge } from '../test/helpers/otlp-fixtures';

const ROOT = join(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SIZES = (process.env.BENCH_WEB_SIZES ?? '500:2000,5000:20000').split(',').map((p) => p.split(':').map(Number) as [number, number]);
const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** E edges over W workloads: each workload talks to the next few, within and across namespaces. */
function edgesFor(w: number, e: number): FixtureEdge[] {
  const out: FixtureEdge[] = [];
  const ns = (i: number): string => `ns-${Math.floor(i / 100)}`;
  for (let k = 0; out.length < e; k++) {
    const i = k % w;
    const j = (i + 1 + Math.floor(k / w) * 7) % w;
    out.push({ src: `wl-${i}`, dst: `wl-${j}`, srcNs: ns(i), dstNs: ns(j) });
  }
  return out;
}

async function one(w: number, e: number): Promise<string> {
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
      EDGEWATCH_STORM_MAX_ALERTS_PER_MINUTE: '0',
      EDGEWATCH_LOG_LEVEL: 'error',
    },
  });
  const client = new grpc.Client(`127.0.0.1:${ports.grpc}`, grpc.credentials.createInsecure());
  try {
    for (let i = 0; i < 200 && (await get(ports.admin, '/readyz').catch(() => ({ status: 0 }))).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
    const all = edgesFor(w, e);
    const t = Date.now() - (Date.now() % 30_000);
    for (let i = 0; i < all.length; i += 1000) {
      const edges = all.slice(i, i + 1000);
      const body = reducerRequest({ cluster: 'bench', edges, names: ['tcp.packets'], metricsPerRequest: edges.length, timeMs: t }).protobuf;
      const id = (b: Buffer): Buffer => b;
      await new Promise<void>((resolve, reject) => client.makeUnaryRequest(EXPORT_PATH, id, id, body, new grpc.Metadata(), { deadline: Date.now() + 30_000 }, (err) => (err ? reject(err) : resolve())));
    }
    for (let i = 0; i < 600; i++) {
      const n = (JSON.parse((await get(ports.admin, `/api/v1/edges?cluster=bench&limit=${e}`)).body) as { edges: unknown[] }).edges.length;
      if (n >= e) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      let bytes = 0;
      page.on('response', (r) => {
        void r.body().then((b) => (bytes += Number(r.headers()['content-length'] ?? b.length))).catch(() => undefined);
      });
      const start = Date.now();
      await page.goto(`http://127.0.0.1:${ports.admin}/?cluster=bench`);
      await page.locator('#map[data-ready="1"]').waitFor({ timeout: 120_000 });
      const tti = Date.now() - start;
      await page.waitForTimeout(500);
      return `| ${w} | ${e} | ${tti} ms | ${(bytes / 1024).toFixed(0)} KiB |`;
    } finally {
      await browser.close();
    }
  } finally {
    client.close();
    child.kill('SIGTERM');
  }
}

async function main(): Promise<void> {
  const rows = ['| workloads | edges | navigation → interactive map | transferred |', '|---|---|---|---|'];
  for (const [w, e] of SIZES) rows.push(await one(w, e));
  process.stdout.write(`${rows.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
