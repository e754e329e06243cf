/**
 * `npm run bench:web`: time from navigation to an interactive map (layout done, the map's
 * `data-ready`) in headless Chromium, and the bytes the page transferred, at W workloads / E edges
 * in W/100 namespaces (default 500/2000 and 5000/20000). The built service on a memory store,
 * learning_period 0 and no storm cap, so every edge alerts (the alerts carry the namespaces).
 *
 *   BENCH_WEB_SIZES   comma-separated W:E pairs (default 500:2000,5000:20000)
 */
import type { FixtureEdge } from '../test/helpers/otlp-fixtures';
import { launchChromium, startWebService } from './web-service';

const SIZES = (process.env.BENCH_WEB_SIZES ?? '500:2000,5000:20000').split(',').map((p) => p.split(':').map(Number) as [number, number]);

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
  const ew = await startWebService({ EDGEWATCH_STORM_MAX_ALERTS_PER_MINUTE: '0', EDGEWATCH_LOG_LEVEL: 'error' });
  try {
    const all = edgesFor(w, e);
    const t = Date.now() - (Date.now() % 30_000);
    for (let i = 0; i < all.length; i += 1000) await ew.send('bench', all.slice(i, i + 1000), t);
    for (let i = 0; i < 600; i++) {
      if ((await ew.getJson<{ edges: unknown[] }>(`/api/v1/edges?cluster=bench&limit=${e}`)).edges.length >= e) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      let bytes = 0;
      page.on('response', (r) => {
        void r.body().then((b) => (bytes += Number(r.headers()['content-length'] ?? b.length))).catch(() => undefined);
      });
      const start = Date.now();
      await page.goto(`${ew.base}/?cluster=bench`);
      await page.locator('#map[data-ready="1"]').waitFor({ timeout: 120_000 });
      const tti = Date.now() - start;
      await page.waitForTimeout(500);
      return `| ${w} | ${e} | ${tti} ms | ${(bytes / 1024).toFixed(0)} KiB |`;
    } finally {
      await browser.close();
    }
  } finally {
    ew.stop();
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
