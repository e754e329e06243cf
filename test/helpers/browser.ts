/**
 * Headless Chromium (the Debian package, /usr/bin/chromium) driven by playwright-core, and the
 * page's bundle built the way `npm run build` builds it. .ci/run installs chromium; under
 * EDGEWATCH_CI=1 a missing one fails (describeWithTool).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { newestMtime, ROOT } from './child-service';

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p)) ?? null;

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A browser with a fresh profile, removed on close. */
export async function launchBrowser(executablePath: string): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'ew-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath, args: ARGS, headless: true, viewport: { width: 1280, height: 800 } });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Build dist/web (web/build.mjs) unless it is built from the current web/ sources. */
export function ensureWebBuilt(): void {
  const stamp = join(ROOT, 'dist', '.web-build-stamp');
  const mark = String(newestMtime(join(ROOT, 'web')));
  if (existsSync(join(ROOT, 'dist/web/index.html')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === mark) return;
  execFileSync(process.execPath, [join(ROOT, 'web/build.mjs')], { cwd: ROOT, stdio: 'pipe' });
  writeFileSync(stamp, mark);
}
