/**
 * Edges stored before the alert-context index existed (an upgrade) are put into it when the new
 * version opens the store: SQLite by migration v4, Redis once per shard at init. Their last-seen
 * stands in for the first-seen nobody recorded.
 */
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { join } from 'node:path';
import { edgeId, type EdgeKey } from '../../src/core/edge';
import { RedisKeys, shardOf } from '../../src/store/redis/keys';
import { RedisStore } from '../../src/store/redis/redis-store';
import { V1_BASELINE } from '../../src/store/sqlite/migrations/v1-baseline';
import { V2_STORM } from '../../src/store/sqlite/migrations/v2-storm';
import { V3_FORGETS } from '../../src/store/sqlite/migrations/v3-forgets';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { key, SINKS, T0 } from '../conformance/store-conformance';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { tempDir } from '../helpers/service-harness';

jest.setTimeout(30_000);

const OLD: Array<[EdgeKey, number]> = [
  [key('frontend', 'payments'), T0 - 3_600_000],
  [key('frontend', 'cart'), T0 - 7_200_000],
  [key('cart', 'frontend', { protocol: 'udp' }), T0 - 60_000],
];

test('SQLite: a file at schema v3 is back-filled by the v4 migration', async () => {
  const tmp = tempDir('ew-backfill-');
  try {
    const path = join(tmp.dir, 'old.db');
    const db = new Database(path);
    db.exec(V1_BASELINE + V2_STORM + V3_FORGETS);
    db.pragma('user_version = 3');
    const insert = db.prepare('INSERT INTO edges (scope, protocol, source, dest, last_seen) VALUES (?, ?, ?, ?, ?)');
    for (const [k, ms] of OLD) insert.run(k.scope, k.protocol, k.source, k.dest, ms);
    db.close();

    const store = new SqliteStore(path);
    await store.init(SINKS);
    const [facts] = await store.indexEdges([{ key: key('frontend', 'search'), firstMs: T0 }]);
    expect(facts).toEqual({ sourceFirstSeenMs: T0 - 7_200_000, destFirstSeenMs: null, sourcePeers: 2, destPeers: 0, otherProtocol: false });
    const [pair] = await store.indexEdges([{ key: key('frontend', 'cart', { protocol: 'udp' }), firstMs: T0 }]);
    expect(pair.otherProtocol).toBe(true);
    await store.close();
  } finally {
    tmp.cleanup();
  }
});

describe('Redis', () => {
  let server: RedisServer;
  let raw: Redis;
  beforeAll(async () => {
    server = await startRedis();
    raw = new Redis(server.url);
  });
  afterAll(async () => {
    raw.disconnect();
    await server.dispose();
  });

  test('edges written before the index are indexed once at init; a second init changes nothing', async () => {
    const keys = new RedisKeys('bf');
    for (const [k, ms] of OLD) await raw.zadd(keys.shard(shardOf(edgeId(k))).edges, ms, edgeId(k));
    // Many more, over every shard, so the back-fill pages.
    for (let i = 0; i < 3000; i += 500) {
      const args = Array.from({ length: 500 }, (_, j) => [String(T0 - 1000), edgeId(key(`svc-${i + j}`, 'db'))]);
      for (const [score, member] of args) await raw.zadd(keys.shard(shardOf(member)).edges, score, member);
    }

    const first = new RedisStore(server.url, { redisKeyPrefix: 'bf' });
    await first.init(SINKS);
    for (const k of keys.all()) expect(await raw.exists(keys.indexed(k.shard))).toBe(1);
    const second = new RedisStore(server.url, { redisKeyPrefix: 'bf' });
    await second.init(SINKS);

    const [facts] = await second.indexEdges([{ key: key('frontend', 'search'), firstMs: T0 }]);
    expect(facts).toEqual({ sourceFirstSeenMs: T0 - 7_200_000, destFirstSeenMs: null, sourcePeers: 2, destPeers: 0, otherProtocol: false });
    const [db] = await first.indexEdges([{ key: key('new', 'db'), firstMs: T0 }]);
    expect(db).toMatchObject({ destFirstSeenMs: T0 - 1000, destPeers: 3000 });
    await first.close();
    await second.close();
  });
});
