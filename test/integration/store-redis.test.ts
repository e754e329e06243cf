import { Redis } from 'ioredis';
import { alertId, edgeId, type EdgeKey } from '../../src/core/edge';
import { StoreUnavailableError } from '../../src/core/errors';
import { RedisKeys, shardOf } from '../../src/store/redis/keys';
import { RedisStore } from '../../src/store/redis/redis-store';
import type { OutboxEntry } from '../../src/store/store';
import { alertDraft, key, sighting, SINKS, storeConformance, T0, W } from '../conformance/store-conformance';
import { freePort, startRedis, startSentinel, type RedisServer } from '../helpers/redis-server';

jest.setTimeout(30_000);

let server: RedisServer;
let seq = 0;
/** A key prefix of its own per store, so tests never see each other's data. */
const prefix = (): string => `t${process.pid}-${++seq}`;

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.dispose();
});

storeConformance('redis standalone', async () => {
  const store = new RedisStore(server.url, { redisKeyPrefix: prefix() });
  return { store, cleanup: () => store.close() };
});

describe('RedisStore on standalone Redis', () => {
  const open: RedisStore[] = [];
  let raw: Redis;
  const openStore = async (p = prefix(), sinks = SINKS, pruneBatch?: number): Promise<RedisStore> => {
    const s = new RedisStore(server.url, { redisKeyPrefix: p, pruneBatch });
    open.push(s);
    await s.init(sinks);
    return s;
  };
  beforeAll(() => {
    raw = new Redis(server.url);
  });
  afterAll(async () => {
    await raw.quit();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  /** Two keys of different shards. */
  const twoShards = (): [EdgeKey, EdgeKey] => {
    const a = key('frontend', 'payments');
    for (let i = 0; ; i++) {
      const b = key('frontend', `other-${i}`);
      if (shardOf(edgeId(b)) !== shardOf(edgeId(a))) return [a, b];
    }
  };

  it('stores each edge under its length-prefixed id in its shard, whatever the names hold', async () => {
    const p = prefix();
    const store = await openStore(p);
    const big = 'n'.repeat(10 * 1024);
    const keys = [key('a|b', 'c:d', { scope: '1:x|tcp|' }), key('数据库', '🚀\u0000x'), key(big, big + '|', { scope: big, protocol: 'udp' }), key('{ew:3}', '}')];
    await store.observe(keys.map((k, i) => sighting(k, T0 + i, T0 + i, false)), W);
    const layout = new RedisKeys(p);
    for (const [i, k] of keys.entries()) {
      const member = `${k.scope.length}:${k.scope}|${k.protocol}|${k.source.length}:${k.source}|${k.dest}`;
      expect(await raw.zscore(layout.shard(shardOf(member)).edges, member)).toBe(String(T0 + i));
    }
    const listed = await store.listEdges({ limit: 10 });
    expect(listed.map((e) => e.key).sort((x, y) => (edgeId(x) < edgeId(y) ? -1 : 1))).toEqual([...keys].sort((x, y) => (edgeId(x) < edgeId(y) ? -1 : 1)));
  });

  it('one alert id across two shards: the second entry is taken back', async () => {
    const store = await openStore();
    const [a, b] = twoShards();
    const first = sighting(a, T0);
    const [one, two] = await store.observe([first, { ...sighting(b, T0), alert: first.alert }], W);
    expect([one.alerted, two.alerted].filter(Boolean)).toHaveLength(1);
    expect(await store.listAlerts(10)).toHaveLength(1);
    expect(await store.outboxStats()).toEqual({ pending: { [SINKS[0]]: 1, [SINKS[1]]: 1 }, failed: { [SINKS[0]]: 0, [SINKS[1]]: 0 } });
    expect(await store.claimAlerts(SINKS[0], 'c1', 10, 60_000)).toHaveLength(1);
  });

  it('prune pages through a long outbox and leaves no bookkeeping behind', async () => {
    const p = prefix();
    const store = await openStore(p, SINKS, 3);
    const keys = Array.from({ length: 120 }, (_, i) => key(`svc-${i}`, 'db'));
    await store.observe(keys.map((k) => sighting(k, T0)), W);
    const ids = keys.map((k) => alertId(k, T0));
    await store.ackAlerts(SINKS[0], ids);
    await store.ackAlerts(SINKS[1], ids.slice(0, 100));
    for (const id of ids.slice(100)) await store.failAlert(SINKS[1], id, 'HTTP 400');
    expect((await store.outboxStats()).failed[SINKS[1]]).toBe(20);
    expect(await store.prune(Date.now() + 60_000)).toBe(120);
    expect(await store.listAlerts(1000)).toEqual([]);
    expect(await store.outboxStats()).toEqual({ pending: { [SINKS[0]]: 0, [SINKS[1]]: 0 }, failed: { [SINKS[0]]: 0, [SINKS[1]]: 0 } });
    for (const k of new RedisKeys(p).all()) {
      expect(await raw.xlen(k.outbox)).toBe(0);
      expect(await raw.hlen(k.alertIds)).toBe(0);
      expect(await raw.hlen(k.alertOwner)).toBe(0);
      expect(await raw.hlen(k.deliveries)).toBe(0);
    }
  });

  it('outbox state lives in Redis: a new store instance sees the same stats, claims and deliveries', async () => {
    const p = prefix();
    const first = await openStore(p);
    const k = key('frontend', 'payments');
    await first.observe([sighting(k, T0)], W);
    const [entry] = await first.claimAlerts(SINKS[0], 'c1', 10, 60_000);
    await first.retryAlert(SINKS[0], entry.alertId, Date.now() - 1, 'HTTP 503');
    await first.close();
    const second = await openStore(p);
    expect(await second.outboxStats()).toEqual({ pending: { [SINKS[0]]: 1, [SINKS[1]]: 1 }, failed: { [SINKS[0]]: 0, [SINKS[1]]: 0 } });
    expect(await second.claimAlerts(SINKS[0], 'c2', 10, 60_000)).toMatchObject([{ alertId: entry.alertId, attempts: 1, draft: alertDraft(k, T0) }]);
    await second.ackAlerts(SINKS[0], [entry.alertId]); // located through alert-owner, not this process's claims
    expect((await second.listAlerts(1))[0].deliveries).toEqual(expect.arrayContaining([{ sink: SINKS[0], state: 'delivered', attempts: 2, lastError: 'HTTP 503' }]));
  });

  it('20 concurrent observe() of one new edge from two store instances: exactly one is new', async () => {
    const p = prefix();
    const [a, b] = [await openStore(p), await openStore(p)];
    const k = key('frontend', 'payments');
    const calls = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).observe([sighting(k, T0 + i * 30_000)], W));
    const outcomes = (await Promise.all(calls)).map((o) => o[0]);
    expect(outcomes.filter((o) => o.isNew)).toHaveLength(1);
    expect(outcomes.filter((o) => o.alerted)).toHaveLength(1);
    expect(await a.listAlerts(10)).toHaveLength(1);
    expect(await b.claimAlerts(SINKS[0], 'c1', 10, 60_000)).toHaveLength(1);
  });

  it('one EVALSHA per shard per observe batch, not one per edge', async () => {
    const store = await openStore();
    const keys = Array.from({ length: 200 }, (_, i) => key(`svc-${i}`, 'db'));
    await store.observe([sighting(key('warm', 'up'), T0)], W); // scripts loaded
    server.cli('CONFIG', 'RESETSTAT');
    await store.observe(keys.map((k) => sighting(k, T0, T0, false)), W);
    const stats = server.cli('INFO', 'commandstats');
    const calls = (name: string): number => Number(new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
    expect(calls('evalsha')).toBe(new Set(keys.map((k) => shardOf(edgeId(k)))).size);
    expect(calls('eval')).toBe(0);
  });

  it('an entry leased by a consumer that dies is claimed by another after the lease', async () => {
    const p = prefix();
    const dying = await openStore(p);
    const k = key('frontend', 'payments');
    await dying.observe([sighting(k, T0)], W);
    // The lease is long next to the few commands until the first claim by `other` (a loaded
    // machine must not end it early), and `other` polls for the entry instead of sleeping.
    expect(await dying.claimAlerts(SINKS[0], 'replica-1', 10, 2000)).toHaveLength(1);
    await dying.close(); // never acks
    const other = await openStore(p);
    expect(await other.claimAlerts(SINKS[0], 'replica-2', 10, 60_000)).toEqual([]);
    let entry: OutboxEntry | undefined;
    while (entry === undefined) {
      await new Promise((r) => setTimeout(r, 50));
      [entry] = await other.claimAlerts(SINKS[0], 'replica-2', 10, 60_000);
    }
    expect(entry.alertId).toBe(alertId(k, T0));
    await other.ackAlerts(SINKS[0], [entry.alertId]);
    expect((await other.outboxStats()).pending[SINKS[0]]).toBe(0);
  });
});

describe('RedisStore through Sentinel', () => {
  it('finds the master by name and works on it', async () => {
    const sentinel = await startSentinel(server.port, 'ew-master');
    const store = new RedisStore(`redis-sentinel://127.0.0.1:${sentinel.port}/ew-master`, { redisKeyPrefix: prefix() });
    try {
      await store.init(SINKS);
      expect(await store.observe([sighting(key('a', 'b'), T0)], W)).toMatchObject([{ isNew: true, alerted: true }]);
      expect(await store.countEdges()).toBe(1);
    } finally {
      await store.close();
      await sentinel.dispose();
    }
  });
});

describe('RedisStore while Redis is down', () => {
  /** What a call gets between reconnection attempts (StoreUnavailableError; no socket to send on). */
  const NOT_CONNECTED = /^redis is not connected \(status (reconnecting|connecting|close)\)$/;
  it('init against a port nobody listens on rejects with StoreUnavailableError for the refused connection, not a timeout', async () => {
    // A short connect timeout: ioredis keeps that timer alive after the refusal, holding jest open.
    const store = new RedisStore(`redis://127.0.0.1:${await freePort()}`, { redisKeyPrefix: prefix(), connection: { connectTimeoutMs: 200 } });
    const init = await store.init(SINKS).then(() => null, (err: unknown) => err);
    expect(init).toBeInstanceOf(StoreUnavailableError);
    // The refusal itself, not the wait for a connection that never comes ("not ready after … ms").
    expect((init as Error).message).toBe('redis init failed: Connection is closed.');
    await expect(store.ping()).rejects.toThrow(NOT_CONNECTED);
    await store.close();
  });

  let own: RedisServer;
  beforeAll(async () => {
    own = await startRedis();
  });
  afterAll(async () => {
    await own?.dispose();
  });

  it('a server that stops answering fails calls after the command timeout, not never', async () => {
    const store = new RedisStore(own.url, { redisKeyPrefix: prefix(), connection: { commandTimeoutMs: 300 } });
    await store.init(SINKS);
    own.pause();
    try {
      // The command timeout ended the call: the server never answered and the socket stayed open.
      const err = await store.observe([sighting(key('a', 'b'), T0)], W).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toBe('redis observe failed: Command timed out');
    } finally {
      own.resume();
    }
    await expect(store.ping()).resolves.toBeUndefined();
    await store.close();
  });

  it('fails fast with StoreUnavailableError and recovers by itself when Redis returns', async () => {
    const store = new RedisStore(own.url, { redisKeyPrefix: prefix() });
    await store.init(SINKS);
    await store.observe([sighting(key('a', 'b'), T0)], W);
    await own.stop();
    // Refused on the spot, while Redis is still down (a queued call would only settle once it is
    // back, or fail later by the command timeout): nothing is queued behind the caller's back.
    await expect(store.ping()).rejects.toThrow(NOT_CONNECTED);
    const down = await store.observe([sighting(key('c', 'd'), T0)], W).then(() => null, (e: unknown) => e);
    expect(down).toBeInstanceOf(StoreUnavailableError);
    expect((down as Error).message).toMatch(/enableOfflineQueue options is false/);
    await own.restart();
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await store.ping();
        break;
      } catch (err) {
        expect(err).toBeInstanceOf(StoreUnavailableError);
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    // The restarted server has no scripts: EVALSHA falls back to EVAL and loads them.
    expect(await store.observe([sighting(key('c', 'd'), T0)], W)).toEqual([{ isNew: true, previousSeenMs: null, lastSeenMs: T0, alerted: true }]);
    expect(await store.claimAlerts(SINKS[0], 'c1', 10, 60_000)).toHaveLength(1);
    await store.close();
  });
});
