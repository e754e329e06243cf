import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository's package.json, found upward (this file also runs compiled under dist-bench/). */
function packageJsonPath(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) return p;
  }
  throw new Error('package.json not found above ' + __dirname);
}

/**
 * The Node.js flags edgewatch is started with, read from package.json's `start` script (the one
 * place they are written; the Dockerfile's ENTRYPOINT is checked against it). Tests and the
 * benchmark start the service with them, the way `npm start` and the image do.
 */
export function serviceNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(packageJsonPath(), 'utf8')) as { scripts: { start: string } };
  const m = /^node((?: --[\w-]+(?:=\S+)?)*) bin\/edgewatch\.js serve$/.exec(pkg.scripts.start);
  if (!m) throw new Error(`package.json start script is not "node [--flags] bin/edgewatch.js serve": ${pkg.scripts.start}`);
  return m[1].split(' ').filter(Boolean);
}
