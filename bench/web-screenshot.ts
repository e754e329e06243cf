/**
 * `npm run screenshot:web`: the web page with the compose demo's edges (deploy/compose/demo-traffic.js:
 * shop, kube-system, jobs → external), in headless Chromium, written to docs/web-map.png and
 * docs/web-alerts.png for the README. The built service on a memory store, learning_period 0 so
 * that every edge alerts; the steady edges' alerts acknowledged so the map shows both looks.
 */
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { freePort } from '../test/helpers/free-port';
import { reducerRequest, type FixtureEdge } from '../test/helpers/otlp-fixtures';
import * as grpc from '@grpc/grpc-js';
import { request } from 'node:http';

const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

function httpRequest(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function grpcExport(client: grpc.Client, body: Buffer): Promise<void> {
  const id = (b: Buffer): Buffer => b;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(EXPORT_PATH, id, id, body, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (err) => (err ? reject(err) : resolve()));
  });
}

const ROOT = join(__dirname, '..', '..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

const STEADY: FixtureEdge[] = [
  { src: 'frontend', dst: 'cart', ns: 'shop' },
  { src: 'cart', dst: 'redis', ns: 'shop' },
  { src: 'frontend', dst: 'payments', ns: 'shop' },
  { src: 'frontend', dst: 'coredns', srcNs: 'shop', dstNs: 'kube-system', proto: 'udp' },
  { src: 'checkout', dst: 'payments', ns: 'shop' },
  { src: 'checkout', dst: 'cart', ns: 'shop' },
];
const NEW: FixtureEdge[] = [{ src: 'batch-job-7f3k', dst: 'api.stripe.com', srcNs: 'jobs', dstNs: 'external' }];

async function main(): Promise<void> {
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
    },
  });
  for (let i = 0; i < 200 && (await httpRequest(ports.admin, 'GET', '/readyz').catch(() => ({ status: 0 }))).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  const client = new grpc.Client(`127.0.0.1:${ports.grpc}`, grpc.credentials.createInsecure());
  const t = Date.now() - (Date.now() % 30_000);
  for (const [edges, at] of [[STEADY, t - 600_000], [NEW, t]] as const) {
    const body = reducerRequest({ cluster: 'demo', edges: [...edges], names: ['tcp.packets', 'udp.packets'], metricsPerRequest: edges.length, timeMs: at }).protobuf;
    await grpcExport(client, body);
  }
  // The steady edges alerted ten minutes ago; acknowledge them so only the newcomer stands out red.
  const list = JSON.parse((await httpRequest(ports.admin, 'GET', '/api/v1/alerts?limit=100')).body.toString('utf8')) as { alerts: { id: string; source: { workload: string } }[] };
  for (const a of list.alerts.filter((x) => x.source.workload !== 'batch-job-7f3k')) {
    await httpRequest(ports.admin, 'POST', `/api/v1/alerts/${encodeURIComponent(a.id)}/ack`, '{"comment":"known at rollout"}', { 'Content-Type': 'application/json', 'X-Edgewatch-User': 'alice' });
  }
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
    const base = `http://127.0.0.1:${ports.admin}`;
    await page.goto(`${base}/?cluster=demo&sel=${encodeURIComponent('tcp|batch-job-7f3k|api.stripe.com')}`);
    await page.locator('#panel h2').waitFor();
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(ROOT, 'docs', 'web-map.png') });
    await page.goto(`${base}/?cluster=demo&view=alerts`);
    await page.locator('#alerts tbody tr').first().waitFor();
    await page.screenshot({ path: join(ROOT, 'docs', 'web-alerts.png') });
  } finally {
    await browser.close();
    client.close();
    child.kill('SIGTERM');
  }
  process.stdout.write('wrote docs/web-map.png, docs/web-alerts.png\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
