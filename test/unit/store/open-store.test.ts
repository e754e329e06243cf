import { ConfigError } from '../../../src/core/errors';
import { MemoryStore } from '../../../src/store/memory/memory-store';
import { openStore } from '../../../src/store/open-store';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store';

const opts = { redisKeyPrefix: 'ew' };

describe('openStore', () => {
  it('memory: is the in-process store', () => {
    expect(openStore('memory:', opts)).toBeInstanceOf(MemoryStore);
    expect(openStore('memory:', opts).kind).toBe('memory');
  });

  it.each([
    ['sqlite:./data/edgewatch.db', './data/edgewatch.db'],
    ['sqlite:data/x.db', 'data/x.db'],
    ['sqlite:/var/lib/edgewatch/e.db', '/var/lib/edgewatch/e.db'],
    ['sqlite:///var/lib/edgewatch/e.db', '/var/lib/edgewatch/e.db'],
    ['sqlite://./data/e.db', './data/e.db'],
    ['sqlite::memory:', ':memory:'],
  ])('%s opens SQLite at %s without touching the disk', (url, path) => {
    const store = openStore(url, opts);
    expect(store).toBeInstanceOf(SqliteStore);
    expect((store as SqliteStore).path).toBe(path);
  });

  it.each(['', 'sqlite:', 'sqlite://', 'memory:x', 'postgres://db/edgewatch', './data/edgewatch.db', 'redis'])(
    'rejects %j with a ConfigError naming the field, the forms and the value',
    (url) => {
      let err: unknown;
      try {
        openStore(url, opts);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).field).toBe('store');
      expect((err as ConfigError).message).toContain('sqlite:PATH');
      expect((err as ConfigError).message).toContain('redis-cluster://');
      expect((err as ConfigError).message).toContain(JSON.stringify(url));
    },
  );

  it('keeps a password out of the error message', () => {
    expect(() => openStore('redis//:s3cret@host:6379', opts)).toThrow(/\*\*\*/);
    expect(() => openStore('redis//:s3cret@host:6379', opts)).not.toThrow(/s3cret/);
  });

  it.each(['redis://localhost:6379', 'rediss://:pw@h:6380/0', 'redis-sentinel://h:26379/mymaster', 'redis-cluster://h1:7000,h2:7001'])(
    '%s opens the Redis store (connecting only at init)',
    async (url) => {
      const store = openStore(url, opts);
      expect(store.kind).toBe('redis');
      await store.close();
    },
  );
});
