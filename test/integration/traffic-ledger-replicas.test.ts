/**
 * The anomaly ledger and the guarded enqueue across processes sharing one backend (issue 15):
 * two SqliteStore connections on one file, two RedisStore instances on one prefix. The
 * conformance suites race calls on one store instance; here each racer has its own connection,
 * as replicas do. Plus the Redis layout: a key's ledger in the shard of its id, nothing left by prune.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisKeys, shardOf } from '../../src/store/redis/keys';
import { RedisStore } from '../../src/store/redis/redis-store';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import type { BaselineStore, GuardedEnqueue, TrafficRule } from '../../src/store/store';
import { alertDraft, key, SINKS, T0 } from '../conformance/store-conformance';
import { EDGE, PROCESS, run } from '../conformance/traffic-anomalies-conformance';
import { startRedis, type RedisServer } from '../helpers/redis-server';

jest.setTimeout(30_000);

const RULE: TrafficRule = { windowMs: 3_600_000, minCount: 5, cooldownMs: 3_600_000 };
const HOUR_WINDOW = { maxPerWindow: 2, windowMs: 3_600_000 };

let server: RedisServer;
let seq = 0;
const prefix = (): string => `r${process.pid}-${++seq}`;
const open: BaselineStore[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.dispose();
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function opened<T extends BaselineStore>(s: T): Promise<T> {
  open.push(s);
  await s.init(SINKS);
  return s;
}

/** Two stores on one backend, as two replicas see it. */
const backends: [string, () => Promise<[BaselineStore, BaselineStore]>][] = [
  [
    'sqlite (two connections on one file)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'edgewatch-ledger-'));
      dirs.push(dir);
      const path = join(dir, 'edgewatch.db');
      const a = await opened(new SqliteStore(path));
      return [a, await opened(new SqliteStore(path))];
    },
  ],
  [
    'redis (two instances on one prefix)',
    async () => {
      const p = prefix();
      return [await opened(new RedisStore(server.url, { redisKeyPrefix: p })), await opened(new RedisStore(server.url, { redisKeyPrefix: p }))];
    },
  ],
];

describe.each(backends)('%s', (_name, pair) => {
  it('the same anomalies recorded by both at once: exactly one firing per key', async () => {
    const [a, b] = await pair();
    const batch = [...run(EDGE, 0, 7), ...run(PROCESS, 0, 7, 'udp.packets')];
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).recordTrafficAnomalies(i % 3 ? batch : [...batch].reverse(), RULE)));
    const firings = results.flat();
    expect(firings.map((f) => f.key).sort()).toEqual([EDGE, PROCESS].sort());
    for (const f of firings) expect(f.anomalies).toHaveLength(7);
    // The other replica sees the firing: no second one within the cooldown.
    expect(await a.recordTrafficAnomalies(run(EDGE, 7, 9), RULE)).toEqual([]);
  });

  it('guarded enqueue from both at once: one decision per id, one cap', async () => {
    const [a, b] = await pair();
    const draft = (n: string) => ({ ...alertDraft(key(n, 'db'), T0), id: `guarded-${n}` });
    const same = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).enqueueGuarded(draft('one'), HOUR_WINDOW)));
    expect(same.filter((r) => r === 'enqueued')).toHaveLength(1);
    expect(same.filter((r) => r === 'exists')).toHaveLength(5);
    const many: GuardedEnqueue[] = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? a : b).enqueueGuarded(draft(`m${i}`), HOUR_WINDOW)));
    expect(many.filter((r) => r === 'enqueued')).toHaveLength(1);
    expect(many.filter((r) => r === 'held')).toHaveLength(5);
    expect(await b.listAlerts(100)).toHaveLength(2);
  });
});

describe('Redis layout of the ledgers', () => {
  it('keeps a key ledger in the shard of its id, and prune leaves nothing behind', async () => {
    const p = prefix();
    const store = await opened(new RedisStore(server.url, { redisKeyPrefix: p }));
    const raw = new Redis(server.url);
    try {
      await store.recordTrafficAnomalies([...run(EDGE, 0, 6), ...run(PROCESS, 0, 3)], RULE);
      const layout = new RedisKeys(p);
      for (const id of [EDGE, PROCESS]) {
        const l = layout.trafficLedger(id);
        expect(l.shard).toBe(shardOf(id));
        expect(l.anomalies.startsWith(`{${p}:${l.shard}}:`)).toBe(true);
        expect(await raw.zscore(layout.shard(l.shard).trafficLedgers, id)).not.toBeNull();
      }
      expect(await raw.zcard(layout.trafficLedger(EDGE).anomalies)).toBe(6);
      expect(await raw.hget(layout.trafficLedger(EDGE).ledger, 'fired')).toBe(String(T0 + 5 * 10_000));
      await store.enqueueGuarded({ ...alertDraft(key('g', 'db'), T0), id: 'guarded-g' }, HOUR_WINDOW);
      await store.prune(Date.now() + 60_000);
      expect(await raw.keys(`{${p}:*}:tr-*`)).toEqual([]);
      expect(await raw.keys(`{${p}:*}:storm-guarded`)).toEqual([]);
    } finally {
      raw.disconnect();
    }
  });
});
