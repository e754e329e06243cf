/**
 * `npm run screenshot:web`: the web page with the compose demo's edges (deploy/compose/demo-traffic.js:
 * shop, kube-system, jobs → external), in headless Chromium, written to docs/web-map.png and
 * docs/web-alerts.png for the README. The built service on a memory store, learning_period 0 so
 * that every edge alerts; the steady edges' alerts acknowledged so the map shows both looks.
 */
import { join } from 'node:path';
import type { FixtureEdge } from '../test/helpers/otlp-fixtures';
import { launchChromium, ROOT, startWebService } from './web-service';

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
  const ew = await startWebService();
  try {
    const t = Date.now() - (Date.now() % 30_000);
    await ew.send('demo', STEADY, t - 600_000, ['tcp.packets', 'udp.packets']);
    await ew.send('demo', NEW, t, ['tcp.packets', 'udp.packets']);
    // The steady edges alerted ten minutes ago; acknowledge them so only the newcomer stands out red.
    const list = await ew.getJson<{ alerts: { id: string; source: { workload: string } }[] }>('/api/v1/alerts?limit=100');
    for (const a of list.alerts.filter((x) => x.source.workload !== 'batch-job-7f3k')) {
      await ew.request('POST', `/api/v1/alerts/${encodeURIComponent(a.id)}/ack`, '{"comment":"known at rollout"}', { 'Content-Type': 'application/json', 'X-Edgewatch-User': 'alice' });
    }
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
      await page.goto(`${ew.base}/?cluster=demo&sel=${encodeURIComponent('tcp|batch-job-7f3k|api.stripe.com')}`);
      await page.locator('#panel h2').waitFor();
      await page.waitForTimeout(500);
      await page.screenshot({ path: join(ROOT, 'docs', 'web-map.png') });
      await page.goto(`${ew.base}/?cluster=demo&view=alerts`);
      await page.locator('#alerts tbody tr').first().waitFor();
      await page.screenshot({ path: join(ROOT, 'docs', 'web-alerts.png') });
    } finally {
      await browser.close();
    }
  } finally {
    ew.stop();
  }
  process.stdout.write('wrote docs/web-map.png, docs/web-alerts.png\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
