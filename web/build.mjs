// Bundles the page (web/src) into dist/web with esbuild, from npm packages only: hashed asset
// names (served immutable), an index.html that names them (served no-cache), and a .gz beside
// each file so the admin server sends compressed bytes without compressing per request.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'web');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: [join(here, 'src', 'main.ts'), join(here, 'src', 'style.css')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
  legalComments: 'linked',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => relative(out, p).split('\\').join('/'));
const js = outputs.find((p) => p.endsWith('.js'));
const css = outputs.find((p) => p.endsWith('.css'));
if (!js || !css) throw new Error('web build: no js or css output');
const html = readFileSync(join(here, 'index.html'), 'utf8').replace('%CSS%', `/ui/${css}`).replace('%JS%', `/ui/${js}`);
writeFileSync(join(out, 'index.html'), html);

for (const dir of [out, join(out, 'assets')]) {
  for (const name of readdirSync(dir)) {
    if (name === 'assets' || name.endsWith('.gz')) continue;
    const p = join(dir, name);
    writeFileSync(`${p}.gz`, gzipSync(readFileSync(p), { level: 9 }));
  }
}
