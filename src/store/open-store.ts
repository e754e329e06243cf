import { ConfigError } from '../core/errors';
import { MemoryStore } from './memory/memory-store';
import { SqliteStore } from './sqlite/sqlite-store';
import type { BaselineStore } from './store';

export interface OpenStoreOptions {
  redisPassword?: string;
  redisKeyPrefix: string;
}

/** What src/store/redis/redis-store must export; loaded lazily so SQLite users never load ioredis. */
interface RedisStoreModule {
  createRedisStore(url: string, opts: OpenStoreOptions): BaselineStore;
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
    if (path !== '') return new SqliteStore(path);
  }
  if (scheme !== undefined && REDIS_SCHEMES.includes(scheme)) return loadRedis(url).createRedisStore(text, opts);
  throw new ConfigError('store', EXPECTED, redact(url));
}

function loadRedis(url: string): RedisStoreModule {
  let mod: unknown;
  try {
    // Lazy on purpose: the Redis store (and ioredis) load only when a Redis URL is configured.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('./redis/redis-store');
  } catch (err) {
    if (isMissing(err, './redis/redis-store')) {
      throw new ConfigError('store', 'sqlite:PATH or memory: (the Redis store is not available in this build)', redact(url));
    }
    throw err;
  }
  if (typeof (mod as Partial<RedisStoreModule> | null)?.createRedisStore !== 'function') {
    throw new Error('src/store/redis/redis-store does not export createRedisStore');
  }
  return mod as RedisStoreModule;
}

/** True when `err` says that `request` itself (not one of its own imports) cannot be found. */
function isMissing(err: unknown, request: string): boolean {
  const e = err as NodeJS.ErrnoException | null;
  return e?.code === 'MODULE_NOT_FOUND' && e.message.includes(`'${request}'`);
}

/** Keeps passwords of redis URLs out of error messages and logs. */
function redact(url: string): string {
  return url.replace(/(\/\/[^/@:]*:)[^/@]*@/, '$1***@');
}
