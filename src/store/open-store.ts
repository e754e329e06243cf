import { ConfigError } from '../core/errors';
import { MemoryStore } from './memory/memory-store';
import { SqliteStore } from './sqlite/sqlite-store';
import type { StoreLog } from './sqlite/wal-checkpointer';
import type { BaselineStore } from './store';

export interface OpenStoreOptions {
  redisPassword?: string;
  redisKeyPrefix: string;
  /** Where a store logs what it does in the background (the SQLite WAL checkpointer's failures). */
  log?: StoreLog;
}

const EXPECTED =
  'sqlite:PATH (or sqlite:///ABSOLUTE/PATH), memory:, redis://…, rediss://…, redis-sentinel://… or redis-cluster://h:p,h:p';
const REDIS_SCHEMES = ['redis:', 'rediss:', 'redis-sentinel:', 'redis-cluster:'];

/**
 * The store named by the `store` option. Nothing is opened here: `init()` connects.
 *   sqlite:PATH          relative or absolute file path (`sqlite:./data/edgewatch.db`)
 *   sqlite://PATH        URL form: what follows `//` is the path, so `sqlite:///abs/file.db` is absolute
 *   memory:              in-process, lost on exit (tests, trials)
 *   redis[s]://, redis-sentinel://, redis-cluster://   the Redis store
 */
export function openStore(url: string, opts: OpenStoreOptions): BaselineStore {
  const text = url.trim();
  const scheme = /^([a-z][a-z0-9+.-]*:)/i.exec(text)?.[1]?.toLowerCase();
  if (scheme === 'memory:' && /^memory:(\/\/)?$/i.test(text)) return new MemoryStore();
  if (scheme === 'sqlite:') {
    let path = text.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
    if (path !== '') return new SqliteStore(path, { log: opts.log });
  }
  if (scheme !== undefined && REDIS_SCHEMES.includes(scheme)) return loadRedis().createRedisStore(text, opts);
  throw new ConfigError('store', EXPECTED, redact(url));
}

/** Lazy on purpose: ioredis loads only when a Redis URL is configured, never for SQLite users. */
function loadRedis(): typeof import('./redis/redis-store') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./redis/redis-store') as typeof import('./redis/redis-store');
}

/** Keeps passwords of redis URLs out of error messages and logs. */
function redact(url: string): string {
  return url.replace(/(\/\/[^/@:]*:)[^/@]*@/, '$1***@');
}
