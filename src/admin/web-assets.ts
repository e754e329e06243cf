import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';

/** Where `npm run build` puts the page (web/build.mjs): dist/web, from dist/admin or src/admin alike. */
export const WEB_DIR = join(__dirname, '..', '..', 'dist', 'web');

/** Everything the page loads is under this prefix; `/` is its index. */
export const WEB_PREFIX = '/ui/';

/** The paths that answer the page's index. */
const INDEX_PATHS = new Set(['/', '/index.html', '/ui', WEB_PREFIX]);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** Nothing but this origin: no CDN, no font service, no beacon (the page must work air-gapped). */
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer | null;
  /** Hashed names never change content: cache for a year; the index is revalidated each time. */
  cache: string;
}

/** The built page, read once: a few hundred KB, and the admin server has no other file access. */
export class WebAssets {
  private assets: Map<string, Asset> | null = null;

  constructor(private readonly dir: string = WEB_DIR) {}

  /** True for the paths the page owns (served without the admin token: the page asks for it). */
  static owns(pathname: string): boolean {
    return INDEX_PATHS.has(pathname) || pathname.startsWith(WEB_PREFIX);
  }

  /** Answer GET/HEAD of a path `owns` accepted. */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): void {
    const assets = this.load();
    const name = INDEX_PATHS.has(pathname) ? 'index.html' : pathname.slice(WEB_PREFIX.length);
    const asset = assets.get(name);
    if (asset === undefined) {
      const text = assets.size === 0 ? `the web page is not built (no ${this.dir}): run npm run build` : `no route ${pathname}`;
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      return void res.end(text);
    }
    const gzip = asset.gzip !== null && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip && asset.gzip !== null ? asset.gzip : asset.body;
    const headers: Record<string, string | number> = {
      'Content-Type': asset.type,
      'Content-Length': body.length,
      'Cache-Control': asset.cache,
      Vary: 'Accept-Encoding',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    };
    if (gzip) headers['Content-Encoding'] = 'gzip';
    if (asset.type.startsWith('text/html')) headers['Content-Security-Policy'] = CSP;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private load(): Map<string, Asset> {
    if (this.assets !== null) return this.assets;
    const assets = new Map<string, Asset>();
    const add = (name: string, file: string, cache: string): void => {
      const gz = `${file}.gz`;
      assets.set(name, { type: TYPES[extname(file)] ?? 'application/octet-stream', body: readFileSync(file), gzip: existsSync(gz) ? readFileSync(gz) : null, cache });
    };
    if (existsSync(join(this.dir, 'index.html'))) {
      add('index.html', join(this.dir, 'index.html'), 'no-cache');
      const dir = join(this.dir, 'assets');
      for (const f of existsSync(dir) ? readdirSync(dir) : []) {
        if (!f.endsWith('.gz')) add(`assets/${f}`, join(dir, f), 'public, max-age=31536000, immutable');
      }
      this.assets = assets;
    }
    // Not built yet: answer 404 now and look again on the next request.
    return assets;
  }
}
