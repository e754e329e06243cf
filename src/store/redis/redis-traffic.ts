import type { Moments } from '../../core/traffic';
import type { TrafficBaseline, TrafficDelta } from '../store';
import { checkRead, groupDeltas, slotOf } from '../traffic-state';
import { shardOf, type RedisKeys } from './keys';
import { asArray, asNumber, asString } from './replies';
import type { RedisClient } from './scripts';

/** (key, hour, metric) groups per ewTrafficAddV1 call and keys per ewTrafficReadV1 call: bounds each script's run. */
const ADD_CHUNK = 1000;
const READ_CHUNK = 250;

/**
 * The traffic baselines of RedisStore: per shard N, one HASH `{p:N}:tr-moments` of traffic key
 * id -> packed state (layout in lua/traffic-add.lua; the rules of src/store/traffic-state.ts),
 * N = shardOf(key id). One script call per shard (chunks of a shard in order); shards in
 * parallel, so on Redis Cluster each call goes to the master of its shard's slot.
 */
export class RedisTraffic {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async add(deltas: readonly TrafficDelta[]): Promise<void> {
    const byShard = new Map<number, string[]>();
    for (const [key, slots] of groupDeltas(deltas)) {
      const shard = shardOf(key);
      let args = byShard.get(shard);
      if (!args) byShard.set(shard, (args = []));
      for (const [id, m] of slots) {
        const { hour, metric } = slotOf(id);
        // String(x) is the shortest text that parses back to the same double: nothing rounds.
        args.push(key, String(hour), metric, String(m.n), String(m.sum), String(m.sumSq));
      }
    }
    await Promise.all(
      [...byShard].map(async ([shard, args]) => {
        const hash = this.keys.shard(shard).trafficMoments;
        for (let i = 0; i < args.length; i += 6 * ADD_CHUNK) await this.client.ewTrafficAddV1(hash, ...args.slice(i, i + 6 * ADD_CHUNK));
      }),
    );
  }

  async read(keys: readonly string[], hour: number, decay: number): Promise<TrafficBaseline[]> {
    checkRead(hour, decay);
    const byShard = new Map<number, number[]>();
    keys.forEach((key, i) => {
      const shard = shardOf(key);
      const list = byShard.get(shard);
      if (list) list.push(i);
      else byShard.set(shard, [i]);
    });
    const found: (TrafficBaseline | null)[] = new Array(keys.length).fill(null);
    await Promise.all(
      [...byShard].map(async ([shard, indices]) => {
        const hash = this.keys.shard(shard).trafficMoments;
        for (let c = 0; c < indices.length; c += READ_CHUNK) {
          const chunk = indices.slice(c, c + READ_CHUNK);
          const reply = asArray(await this.client.ewTrafficReadV1(hash, hour, String(decay), ...chunk.map((i) => keys[i])), 'readTrafficBaselines');
          let p = 0;
          for (const i of chunk) {
            const count = asNumber(reply[p++], 'readTrafficBaselines');
            if (count === 0) continue;
            const metrics: Record<string, Moments> = {};
            for (let m = 0; m < count; m++, p += 4) {
              metrics[asString(reply[p], 'readTrafficBaselines')] = { n: num(reply[p + 1]), sum: num(reply[p + 2]), sumSq: num(reply[p + 3]) };
            }
            found[i] = { key: keys[i], metrics };
          }
        }
      }),
    );
    return found.filter((b): b is TrafficBaseline => b !== null);
  }

  /** Deletes keys whose latest hour is before `cutHour`, one HSCAN page of `page` per script call; returns how many. */
  async prune(cutHour: number, page: number): Promise<number> {
    const perShard = await Promise.all(
      this.keys.all().map(async (k) => {
        let deleted = 0;
        let cursor = '0';
        do {
          const reply = asArray(await this.client.ewTrafficMomentsPruneV1(k.trafficMoments, cutHour, cursor, page), 'prune');
          cursor = asString(reply[0], 'prune');
          deleted += asNumber(reply[1], 'prune');
        } while (cursor !== '0');
        return deleted;
      }),
    );
    return perShard.reduce((a, b) => a + b, 0);
  }
}

function num(reply: unknown): number {
  return asNumber(reply, 'readTrafficBaselines');
}
