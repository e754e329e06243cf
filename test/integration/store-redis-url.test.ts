import { ConfigError } from '../../src/core/errors';
import { parseRedisUrl, redact } from '../../src/store/redis/url';
import { createRedisStore } from '../../src/store/redis/redis-store';

// Pure parsing; lives with the Redis store's tests (test/integration/store-redis*.test.ts).
describe('Redis store URLs', () => {
  it('redis:// and rediss:// with credentials, port and db', () => {
    expect(parseRedisUrl('redis://localhost')).toEqual({ kind: 'standalone', host: 'localhost', port: 6379, db: 0, tls: false, username: undefined, password: undefined });
    expect(parseRedisUrl('rediss://u%40x:p%3Aw@redis.example:6380/2')).toEqual({ kind: 'standalone', host: 'redis.example', port: 6380, db: 2, tls: true, username: 'u@x', password: 'p:w' });
    expect(parseRedisUrl('redis://:secret@[::1]:7000')).toMatchObject({ host: '::1', port: 7000, username: undefined, password: 'secret' });
  });

  it('takes the password from the option when the URL has none; the URL wins', () => {
    expect(parseRedisUrl('redis://h:1', 'opt')).toMatchObject({ password: 'opt' });
    expect(parseRedisUrl('redis://:url@h:1', 'opt')).toMatchObject({ password: 'url' });
    expect(parseRedisUrl('redis://h:1', '')).toMatchObject({ password: undefined });
  });

  it('redis-sentinel:// and redis-cluster:// take host lists', () => {
    expect(parseRedisUrl('redis-sentinel://u:p@s1:26379,s2:26380/mymaster')).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26380 }],
      name: 'mymaster',
      db: 0,
      username: 'u',
      password: 'p',
    });
    expect(parseRedisUrl('redis-sentinel://s1/mymaster/3')).toMatchObject({ name: 'mymaster', db: 3 });
    expect(parseRedisUrl('redis-cluster://n1:7000,n2:7001,n3')).toEqual({
      kind: 'cluster',
      nodes: [{ host: 'n1', port: 7000 }, { host: 'n2', port: 7001 }, { host: 'n3', port: 6379 }],
      tls: false,
      username: undefined,
      password: undefined,
    });
    expect(parseRedisUrl('redis-cluster://:pw@n1:7000?tls=true')).toMatchObject({ tls: true, password: 'pw' });
  });

  it.each(['redis://', 'redis://h:0', 'redis://h:99999', 'redis://a:1,b:2', 'redis://h/x', 'redis-sentinel://s1:1', 'redis-cluster://n1:1/0', 'http://h'])(
    'rejects %s with a ConfigError naming the store field',
    (url) => {
      expect(() => parseRedisUrl(url)).toThrow(ConfigError);
      try {
        parseRedisUrl(url);
      } catch (err) {
        expect((err as ConfigError).field).toBe('store');
      }
    },
  );

  it('never puts the password in an error message', () => {
    expect(redact('redis://user:hunter2@h:1')).toBe('redis://user:***@h:1');
    expect(() => parseRedisUrl('redis://user:hunter2@h:1/x')).toThrow(/^(?!.*hunter2)/);
  });

  it('rejects key prefixes that would break the hash tags', () => {
    expect(() => createRedisStore('redis://h:1', { redisKeyPrefix: 'a{b' })).toThrow(ConfigError);
    expect(() => createRedisStore('redis://h:1', { redisKeyPrefix: '' })).toThrow(ConfigError);
  });
});
