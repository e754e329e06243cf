import type { TrafficAnomaly } from '../../core/traffic';
import type { TrafficFiring, TrafficRule } from '../store';
import { byBucketThenMetric, checkTrafficRule, groupByKey } from '../traffic-ledger';
import type { RedisKeys } from './keys';
import { asArray, asNumber, asString } from './replies';
import type { RedisClient } from './scripts';

/** Traffic keys per script call: bounds how long one call blocks Redis (a key's whole batch goes in one call). */
const KEYS_PER_CALL = 100;
/** Ledgers listed per prune page. */
const PRUNE_PAGE = 500;

/** What a ledger stores of an anomaly besides its key, bucket and metric (those are in the member). */
interface StoredFields {
  value: number;
  mean: number;
  stdev: number;
  z: number;
}

/**
 * recordTrafficAnomalies on Redis: the ledgers of the keys of one shard in one
 * traffic-anomalies.lua call per chunk of keys, every anomaly of a key in the same call, so the
 * record, the count and the firing are one atomic step per key against every replica.
 */
export async function recordAnomaliesRedis(client: RedisClient, keys: RedisKeys, anomalies: readonly TrafficAnomaly[], rule: TrafficRule): Promise<TrafficFiring[]> {
  checkTrafficRule(rule);
  const byShard = new Map<number, [string, TrafficAnomaly[]][]>();
  for (const entry of groupByKey(anomalies)) {
    const shard = keys.trafficLedger(entry[0]).shard;
    const list = byShard.get(shard);
    if (list) list.push(entry);
    else byShard.set(shard, [entry]);
  }
  const perShard = await Promise.all(
    [...byShard].map(async ([shard, entries]) => {
      const firings: TrafficFiring[] = [];
      for (let c = 0; c < entries.length; c += KEYS_PER_CALL) {
        const chunk = entries.slice(c, c + KEYS_PER_CALL);
        const redisKeys: string[] = [keys.shard(shard).trafficLedgers];
        const argv: (string | number)[] = [rule.windowMs, rule.minCount, rule.cooldownMs];
        for (const [keyId, list] of chunk) {
          const l = keys.trafficLedger(keyId);
          redisKeys.push(l.anomalies, l.ledger);
          argv.push(keyId, list.length);
          for (const a of list) argv.push(a.bucketMs, a.metric, JSON.stringify({ value: a.value, mean: a.mean, stdev: a.stdev, z: a.z } satisfies StoredFields));
        }
        const reply = asArray(await client.ewTrafficAnomaliesV1(redisKeys.length, ...redisKeys, ...argv), 'traffic anomalies');
        for (const f of reply) firings.push(parseFiring(asArray(f, 'traffic anomalies')));
      }
      return firings;
    }),
  );
  return perShard.flat();
}

/** Deletes the ledgers whose latest bucket (and so last firing) is before `beforeMs`; returns how many. */
export async function pruneAnomaliesRedis(client: RedisClient, keys: RedisKeys, beforeMs: number): Promise<number> {
  const perShard = await Promise.all(
    keys.all().map(async (k) => {
      let deleted = 0;
      for (;;) {
        const ids = await client.zrangebyscore(k.trafficLedgers, '-inf', `(${beforeMs}`, 'LIMIT', 0, PRUNE_PAGE);
        if (ids.length === 0) break;
        const redisKeys = [k.trafficLedgers, ...ids.flatMap((id) => [keys.trafficLedger(id).anomalies, keys.trafficLedger(id).ledger])];
        const n = asNumber(await client.ewTrafficAnomaliesPruneV1(redisKeys.length, ...redisKeys, beforeMs, ...ids), 'traffic prune');
        deleted += n;
        // None deleted of a full page: all raised meanwhile (no longer listed next time, but stop anyway).
        if (ids.length < PRUNE_PAGE || n === 0) break;
      }
      return deleted;
    }),
  );
  return perShard.reduce((a, b) => a + b, 0);
}

function parseFiring(raw: unknown[]): TrafficFiring {
  const key = asString(raw[0], 'traffic anomalies');
  const firedMs = Number(asString(raw[1], 'traffic anomalies'));
  const anomalies: TrafficAnomaly[] = [];
  for (let i = 2; i + 1 < raw.length; i += 2) {
    const member = asString(raw[i], 'traffic anomalies');
    const bar = member.indexOf('|');
    const f = JSON.parse(asString(raw[i + 1], 'traffic anomalies')) as StoredFields;
    anomalies.push({ key, metric: member.slice(bar + 1), bucketMs: Number(member.slice(0, bar)), value: f.value, mean: f.mean, stdev: f.stdev, z: f.z });
  }
  // The script orders members by bucket then bytes; the contract's order compares metrics as JS strings.
  return { key, firedMs, anomalies: anomalies.sort(byBucketThenMetric) };
}
