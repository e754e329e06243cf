import { edgeId } from '../../src/core/edge';
import { RedisKeys, shardOf, SHARDS } from '../../src/store/redis/keys';
import { RedisStore } from '../../src/store/redis/redis-store';
import { key, sighting, SINKS, storeConformance, T0, W } from '../conformance/store-conformance';
import { startCluster, type RedisCluster } from '../helpers/redis-server';

jest.setTimeout(30_000);

let cluster: RedisCluster;
let seq = 0;
const prefix = (): string => `c${process.pid}-${++seq}`;

beforeAll(async () => {
  cluster = await startCluster(3);
});
afterAll(async () => {
  await cluster?.stop();
});

storeConformance('redis cluster (3 masters)', async () => {
  const store = new RedisStore(cluster.url, { redisKeyPrefix: prefix() });
  return { store, cleanup: () => store.close() };
});

describe('RedisStore on Redis Cluster', () => {
  const open: RedisStore[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });

  /** Which master serves a slot, from CLUSTER SLOTS of the first node. */
  const slotOwners = (): { from: number; to: number; port: number }[] => {
    const out = cluster.nodes[0].cli('--no-raw', 'CLUSTER', 'SLOTS');
    const ranges: { from: number; to: number; port: number }[] = [];
    // Each range prints as: 1) (integer) from 2) (integer) to 3) 1) "127.0.0.1" 2) (integer) port …
    const re = /\d+\) 1\) \(integer\) (\d+)\s+2\) \(integer\) (\d+)\s+3\) 1\) "[^"]+"\s+2\) \(integer\) (\d+)/g;
    for (let m = re.exec(out); m; m = re.exec(out)) ranges.push({ from: Number(m[1]), to: Number(m[2]), port: Number(m[3]) });
    return ranges;
  };

  it('each shard lives in one slot, and the shards spread over all three masters', async () => {
    const p = prefix();
    const store = new RedisStore(cluster.url, { redisKeyPrefix: p });
    open.push(store);
    await store.init(SINKS);
    // Enough edges with alerts to touch every shard's edges, outbox and bookkeeping keys.
    const keys = Array.from({ length: 400 }, (_, i) => key(`svc-${i}`, `dep-${i}`));
    const shards = new Set(keys.map((k) => shardOf(edgeId(k))));
    expect(shards.size).toBe(SHARDS);
    await store.observe(keys.map((k) => sighting(k, T0)), W);

    const ranges = slotOwners();
    expect(new Set(ranges.map((r) => r.port)).size).toBe(3);
    const owner = (slot: number): number | undefined => ranges.find((r) => slot >= r.from && slot <= r.to)?.port;
    const node = cluster.nodes[0];
    const mastersUsed = new Set<number>();
    for (const k of new RedisKeys(p).all()) {
      const names = [k.edges, k.outbox, k.alertIds, k.deliveries, k.counts];
      const slots = new Set(names.map((n) => Number(node.cli('CLUSTER', 'KEYSLOT', n).trim())));
      expect(slots.size).toBe(1);
      const port = owner([...slots][0]);
      expect(port).toBeDefined();
      mastersUsed.add(port ?? 0);
    }
    expect(mastersUsed.size).toBe(3);
    // And the data really is on every master.
    for (const n of cluster.nodes) expect(Number(n.cli('DBSIZE').trim())).toBeGreaterThan(0);
  });

  it('two store instances on the cluster decide one new edge once', async () => {
    const p = prefix();
    const a = new RedisStore(cluster.url, { redisKeyPrefix: p });
    const b = new RedisStore(cluster.url, { redisKeyPrefix: p });
    open.push(a, b);
    await Promise.all([a.init(SINKS), b.init(SINKS)]);
    const k = key('frontend', 'payments');
    const outcomes = (await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).observe([sighting(k, T0 + i * 30_000)], W)))).map((o) => o[0]);
    expect(outcomes.filter((o) => o.isNew)).toHaveLength(1);
    expect(outcomes.filter((o) => o.alerted)).toHaveLength(1);
    const [claimed] = await Promise.all([a.claimAlerts(SINKS[0], 'a', 10, 60_000), b.claimAlerts(SINKS[1], 'b', 10, 60_000)]);
    expect(claimed).toHaveLength(1);
  });
});
