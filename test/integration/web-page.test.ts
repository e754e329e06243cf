/**
 * The edge map and triage page (issue 13) in real headless Chromium against a real service:
 * served from the admin port with no request to another origin and no console error, an edge
 * sent over OTLP highlighted on the map with its alert in the table without a reload, ack and
 * expect from the page changing the state in the API, and the token prompt.
 */
import { status } from '@grpc/grpc-js';
import type { Page } from 'playwright-core';
import type { AlertJson } from '../../src/admin/alerts-api';
import { CHROMIUM, ensureWebBuilt, launchBrowser, type Browser } from '../helpers/browser';
import { describeWithTool } from '../helpers/chart';
import { reducerRequest, type FixtureEdge } from '../helpers/otlp-fixtures';
import { startRedis } from '../helpers/redis-server';
import { aligned, closeGrpcClients, grpcExport, httpRequest, startService, type Running } from '../helpers/service-harness';

jest.setTimeout(60_000);

const CLUSTER = 'web-test';

async function send(ew: Running, edges: FixtureEdge[]): Promise<void> {
  const body = reducerRequest({ cluster: CLUSTER, edges, names: ['tcp.packets', 'udp.packets'], metricsPerRequest: edges.length, timeMs: aligned(Date.now()) }).protobuf;
  expect((await grpcExport(ew.ports.grpc, body)).code).toBe(status.OK);
}

async function apiAlerts(ew: Running, token?: string): Promise<AlertJson[]> {
  const headers: Record<string, string> = token === undefined ? {} : { Authorization: `Bearer ${token}` };
  const r = await httpRequest(ew.ports.admin, 'GET', '/api/v1/alerts', undefined, headers);
  return (JSON.parse(r.body.toString('utf8')) as { alerts: AlertJson[] }).alerts;
}

/** Poll a condition on the API side (the page's changes land there). */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The map marks its highlighted edges on its element (the canvas itself is opaque to tests). */
async function highlightedEdges(page: Page): Promise<string[]> {
  const text = (await page.locator('#map').getAttribute('data-highlighted')) ?? '';
  return text.split(' ').filter(Boolean).sort();
}

interface Watched {
  page: Page;
  errors: string[];
  foreign: string[];
}

async function open(browser: Browser, ew: Running, path = '/'): Promise<Watched> {
  const page = await browser.context.newPage();
  const errors: string[] = [];
  const foreign: string[] = [];
  const origin = `http://127.0.0.1:${ew.ports.admin}`;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(`${origin}/`) && !u.startsWith('data:')) foreign.push(u);
  });
  await page.goto(`${origin}${path}`);
  return { page, errors, foreign };
}

describeWithTool('chromium', CHROMIUM, 'web page in headless Chromium', (chromiumPath) => {
  let browser: Browser;
  const running: Running[] = [];

  beforeAll(async () => {
    ensureWebBuilt();
    browser = await launchBrowser(chromiumPath);
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
    closeGrpcClients();
  });
  afterAll(async () => {
    await browser?.close();
  });

  test('GET / serves the page: gzip, content types, cache headers; the assets need no token', async () => {
    const ew = await startService({ store: 'memory:', adminToken: 'tok' });
    running.push(ew);
    const index = await httpRequest(ew.ports.admin, 'GET', '/', undefined, { 'Accept-Encoding': 'gzip' });
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-encoding']).toBe('gzip');
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toContain("default-src 'self'");
    const html = (await httpRequest(ew.ports.admin, 'GET', '/')).body.toString('utf8');
    const js = /src="(\/ui\/assets\/main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(js).toBeDefined();
    const asset = await httpRequest(ew.ports.admin, 'GET', js as string);
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await httpRequest(ew.ports.admin, 'GET', '/ui/assets/nope.js')).status).toBe(404);
    expect((await httpRequest(ew.ports.admin, 'GET', '/api/v1/alerts')).status).toBe(401);
  });

  test('loads clean, shows the empty state, then an OTLP edge highlighted and its alert in the table; ack and expect from the page', async () => {
    const ew = await startService({ store: 'memory:' });
    running.push(ew);
    const { page, errors, foreign } = await open(browser, ew);
    await page.locator('#empty').getByText('No data yet').waitFor();

    await send(ew, [
      { src: 'checkout', dst: 'payments', srcNs: 'shop', dstNs: 'pay' },
      { src: 'frontend', dst: 'checkout', ns: 'shop' },
    ]);
    // Polled every second: both edges highlighted (alerted), both alerts in the table, no reload.
    const highlighted = await until(() => highlightedEdges(page), (l) => l.length === 2);
    expect(highlighted).toEqual(['tcp|checkout|payments', 'tcp|frontend|checkout']);
    expect(page.url()).toContain(`cluster=${CLUSTER}`);

    await page.click('#tab-alerts');
    const rows = page.locator('#alerts tbody tr');
    await rows.nth(1).waitFor();
    expect(await rows.count()).toBe(2);

    const ids = (await apiAlerts(ew)).map((a) => a.id);
    const ackRow = page.locator(`#alerts tr[data-alert="${ids[0]}"]`);
    await ackRow.locator('button.ack').click();
    const acked = await until(() => apiAlerts(ew), (l) => l.find((a) => a.id === ids[0])?.state === 'acknowledged');
    expect(acked.find((a) => a.id === ids[0])?.state).toBe('acknowledged');
    expect(acked.find((a) => a.id === ids[0])?.triage?.by).toBe('web');
    await ackRow.locator('td.state', { hasText: 'acknowledged' }).waitFor();

    // The keyboard: focus the other row and press e.
    const expectRow = page.locator(`#alerts tr[data-alert="${ids[1]}"]`);
    await expectRow.focus();
    await page.keyboard.press('e');
    const expected = await until(() => apiAlerts(ew), (l) => l.find((a) => a.id === ids[1])?.state === 'expected');
    expect(expected.find((a) => a.id === ids[1])?.state).toBe('expected');

    expect(errors).toEqual([]);
    expect(foreign).toEqual([]);
  });

  test('a cluster in the URL opens it; a click on an edge shows the side panel with its alert', async () => {
    const ew = await startService({ store: 'memory:' });
    running.push(ew);
    await send(ew, [{ src: 'api', dst: 'db', ns: 'core' }]);
    await until(() => apiAlerts(ew), (l) => l.length === 1);
    const { page, errors } = await open(browser, ew, `/?cluster=${CLUSTER}&sel=${encodeURIComponent('tcp|api|db')}`);
    await page.locator('#panel h2', { hasText: 'api → db' }).waitFor();
    await page.locator('#panel .alert-block .state', { hasText: 'state: open' }).waitFor();
    await page.locator('#panel').getByRole('button', { name: 'Acknowledge' }).click();
    await until(() => apiAlerts(ew), (l) => l[0]?.state === 'acknowledged');
    expect((await apiAlerts(ew))[0].state).toBe('acknowledged');
    expect(errors).toEqual([]);
  });

  test('with admin_token the page asks for it, refuses a wrong one, and works with the right one', async () => {
    const ew = await startService({ store: 'memory:', adminToken: 'right-token' });
    running.push(ew);
    await send(ew, [{ src: 'a', dst: 'b' }]);
    const { page, foreign } = await open(browser, ew);
    const dialog = page.locator('dialog#login');
    await dialog.waitFor({ state: 'visible' });
    await page.fill('#login-token', 'wrong-token');
    await page.click('#login-form button[type=submit]');
    await page.locator('#login-error', { hasText: 'That token was refused' }).waitFor();
    await page.fill('#login-token', 'right-token');
    await page.click('#login-form button[type=submit]');
    expect(await until(() => highlightedEdges(page), (l) => l.length === 1)).toEqual(['tcp|a|b']);
    expect(await dialog.isVisible()).toBe(false);
    // Kept for the tab, never in the URL.
    expect(await page.evaluate((k) => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem(k), 'edgewatch.admin_token')).toBe('right-token');
    expect(page.url()).not.toContain('right-token');
    expect(foreign).toEqual([]);
  });

  test('a cluster in its learning period says until when (GET /api/v1/clusters)', async () => {
    const ew = await startService({ store: 'memory:', learningPeriodMs: 24 * 3_600_000 });
    running.push(ew);
    await send(ew, [{ src: 'web', dst: 'cache' }]);
    const clusters = await until(
      async () => JSON.parse((await httpRequest(ew.ports.admin, 'GET', '/api/v1/clusters')).body.toString('utf8')) as { learning_period_s: number; clusters: { name: string; learning: boolean; first_point: string; learning_until: string }[] },
      (c) => c.clusters.length === 1,
    );
    expect(clusters.learning_period_s).toBe(86_400);
    expect(clusters.clusters[0]).toMatchObject({ name: CLUSTER, learning: true });
    expect(Date.parse(clusters.clusters[0].learning_until) - Date.parse(clusters.clusters[0].first_point)).toBe(86_400_000);
    const { page, errors } = await open(browser, ew);
    await page.locator('#notice', { hasText: 'is in its learning period until' }).waitFor();
    expect(await page.locator('#notice').textContent()).toContain('recorded without alerts');
    expect(errors).toEqual([]);
  });

  test('the store unreachable: a banner, gone by itself when the store is back', async () => {
    const redis = await startRedis();
    try {
      const ew = await startService({ store: redis.url });
      running.push(ew);
      await send(ew, [{ src: 'x', dst: 'y' }]);
      const { page } = await open(browser, ew);
      await until(() => highlightedEdges(page), (l) => l.length === 1);
      expect(await page.locator('#banner').isVisible()).toBe(false);
      await redis.stop();
      await page.locator('#banner', { hasText: 'retries by itself' }).waitFor({ timeout: 20_000 });
      await redis.restart();
      await page.locator('#banner').waitFor({ state: 'hidden', timeout: 20_000 });
    } finally {
      await redis.dispose();
    }
  });

  test('above 300 workloads namespaces start collapsed; a click on one expands it (its workloads appear)', async () => {
    // Namespaces come from the alerts, so no storm cap: every edge raises its own.
    const ew = await startService({ store: 'memory:', stormMaxAlertsPerMinute: 0 });
    running.push(ew);
    const namespaces = ['coll-a', 'coll-b', 'coll-c', 'coll-d'];
    const edges: FixtureEdge[] = namespaces.flatMap((ns) => Array.from({ length: 40 }, (_, i) => ({ src: `${ns}-client-${i}`, dst: `${ns}-server-${i}`, ns })));
    for (let i = 0; i < edges.length; i += 80) await send(ew, edges.slice(i, i + 80));
    const allAlerts = async (): Promise<unknown[]> => (JSON.parse((await httpRequest(ew.ports.admin, 'GET', '/api/v1/alerts?limit=1000')).body.toString('utf8')) as { alerts: unknown[] }).alerts;
    expect((await until(allAlerts, (l) => l.length === 160)).length).toBe(160);

    const { page, errors } = await open(browser, ew, `/?cluster=${CLUSTER}`);
    const collapsedAt = async (): Promise<Record<string, { x: number; y: number }>> => JSON.parse((await page.locator('#map').getAttribute('data-collapsed')) ?? '{}') as Record<string, { x: number; y: number }>;
    const at = await until(collapsedAt, (c) => Object.keys(c).sort().join() === namespaces.join());
    expect(Object.keys(at).sort()).toEqual(namespaces);
    expect(await page.locator('#map').getAttribute('data-workloads')).toBe('0');

    // A real click where cytoscape drew the namespace.
    const box = await page.locator('#map').boundingBox();
    if (box === null) throw new Error('the map has no box');
    await page.mouse.click(box.x + at['coll-b'].x, box.y + at['coll-b'].y);
    const after = await until(collapsedAt, (c) => !('coll-b' in c));
    expect(Object.keys(after).sort()).toEqual(['coll-a', 'coll-c', 'coll-d']);
    expect(await page.locator('#map').getAttribute('data-workloads')).toBe('80');
    expect(errors).toEqual([]);
  });
});
