import { ConfigError } from '../../core/errors';

export interface HostPort {
  host: string;
  port: number;
}

/** What a store URL asks for; secrets included, so never log it. */
export type RedisTarget =
  | { kind: 'standalone'; host: string; port: number; db: number; tls: boolean; username?: string; password?: string }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string; db: number; username?: string; password?: string }
  | { kind: 'cluster'; nodes: HostPort[]; tls: boolean; username?: string; password?: string };

const EXPECTED = 'redis://[user:pass@]host:port[/db], rediss://…, redis-sentinel://[user:pass@]h:p,h:p/mastername or redis-cluster://[user:pass@]h:p,h:p';

/**
 * Parses the Redis forms of the `store` option. Credentials come from the URL, else from
 * `redisPassword` (EDGEWATCH_REDIS_PASSWORD). `redis-cluster://` and `redis-sentinel://` take a
 * comma-separated host list, which WHATWG URL cannot parse, hence the hand-written split.
 */
export function parseRedisUrl(url: string, redisPassword?: string): RedisTarget {
  const m = /^(rediss?|redis-sentinel|redis-cluster):\/\/(?:([^@/]*)@)?([^/?#]*)(\/[^?#]*)?(?:\?([^#]*))?$/i.exec(url.trim());
  if (!m) throw bad(url);
  const scheme = m[1].toLowerCase();
  const creds = parseCreds(m[2]);
  const username = creds.username;
  const password = creds.password ?? (redisPassword === '' ? undefined : redisPassword);
  const hosts = m[3].split(',').map((h) => parseHostPort(h, url));
  const path = (m[4] ?? '').replace(/^\//, '');
  const query = new URLSearchParams(m[5] ?? '');
  const tlsParam = query.get('tls');
  if (scheme === 'redis' || scheme === 'rediss') {
    if (hosts.length !== 1) throw bad(url);
    return { kind: 'standalone', ...hosts[0], db: parseDb(path, url), tls: scheme === 'rediss', username, password };
  }
  if (scheme === 'redis-sentinel') {
    const [name, db = ''] = path.split('/');
    if (name === '') throw bad(url);
    return { kind: 'sentinel', sentinels: hosts, name: decodeURIComponent(name), db: parseDb(db, url), username, password };
  }
  if (path !== '') throw bad(url);
  return { kind: 'cluster', nodes: hosts, tls: tlsParam === 'true' || tlsParam === '1', username, password };
}

function parseCreds(text: string | undefined): { username?: string; password?: string } {
  if (text === undefined || text === '') return {};
  const colon = text.indexOf(':');
  if (colon < 0) return { username: decodeURIComponent(text) };
  const user = decodeURIComponent(text.slice(0, colon));
  return { username: user === '' ? undefined : user, password: decodeURIComponent(text.slice(colon + 1)) };
}

function parseHostPort(text: string, url: string): HostPort {
  const m = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m) throw bad(url);
  const port = m[2] === undefined ? 6379 : Number(m[2]);
  if (port < 1 || port > 65535) throw bad(url);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

function parseDb(text: string, url: string): number {
  if (text === '') return 0;
  if (!/^\d+$/.test(text)) throw bad(url);
  return Number(text);
}

function bad(url: string): ConfigError {
  return new ConfigError('store', EXPECTED, redact(url));
}

/** Keeps passwords out of error messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^/@:]*:)[^/@]*@/, '$1***@');
}
