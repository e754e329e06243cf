/**
 * Every Redis key of edgewatch is built here.
 *
 * Layout (prefix `ew` by default, N = shard 0..15, `<sink>` = sink name as is):
 *
 *   {ew:N}:edges        ZSET    member = edge id, score = last-seen ms
 *   {ew:N}:scopes       HASH    scope -> earliest point ms ever seen (learning period)
 *   {ew:N}:outbox       STREAM  one entry per alert: id, draft (JSON), prev (ms or ''), created (ms),
 *                               sinks (JSON array: the sinks it is for); one consumer group per
 *                               sink, named as the sink. An edge's alert goes to the edge's shard,
 *                               an alert of no edge (storm summary) to the shard of its id
 *   {ew:N}:alert-ids    HASH    alert id -> entry id in this shard's outbox (enqueue is idempotent)
 *   {ew:N}:alert-owner  HASH    alert id -> "<shard>:<entry id>" for alert ids whose shard is N
 *                               (finds an alert's entry for ack/retry/fail; one entry per alert id
 *                               across shards)
 *   {ew:N}:deliveries   HASH    "<entry id>:<sink>" -> "<state>|<attempts>[|<last error>]",
 *                               state = pending | delivered | failed
 *   {ew:N}:due:<sink>   ZSET    entry id -> ms from which the entry may be claimed again
 *                               (end of a lease, or the retry time)
 *   {ew:N}:counts       HASH    p:<sink> -> pending deliveries, f:<sink> -> failed deliveries kept
 *   {ew:N}:storm-parked HASH    storm guard, in the EDGE's shard: alert id -> park record (JSON:
 *                               draft, prev, created, sinks, cluster, protocol, window, window_ms,
 *                               max, parked_at; no draft when parked in a window seen spent) of
 *                               a new edge's alert waiting for its cluster's decision
 *                               (redis-storm.ts); gone once decided
 *   {ew:N}:storm-parked-at ZSET alert id -> parked at (ms, server clock): the sweeper's index
 *   {ew:C}:storm:<start>:<cluster>  HASH  storm window of a cluster from <start> (ms), in the
 *                               cluster's counter shard C = shard of the cluster name: end (ms),
 *                               granted (alerts raised), held (held back in total), h:<protocol>
 *                               (held back per protocol), first (ms, first held back), summary
 *                               (the summary's alert id once written), d:<alert id> -> decision
 *                               (alert | held | held@<later start>). Expires a day after its end
 *   {ew:C}:storm-due    ZSET    "<start>|<cluster>" -> window end ms: windows with held-back
 *                               edges waiting for their summary (which lives in C's outbox)
 *   {ew:N}:storm-guarded ZSET   alert id -> parked at ms: ids enqueueGuarded parked in the shard
 *                               N of the id (redis-guarded-enqueue.ts), so a later call with the
 *                               id is 'exists' whatever was decided; pruned with the outbox
 *   {ew:N}:tr-anomalies:<k> ZSET traffic-anomaly ledger of traffic key <k> (trafficKeyId, N =
 *                               shard of <k>): "<bucket ms>|<metric>" -> bucket ms, the last window
 *   {ew:N}:tr-ledger:<k> HASH   "<bucket ms>|<metric>" -> anomaly JSON (value, mean, stdev, z),
 *                               latest (latest bucket ms), fired (last firing ms)
 *   {ew:N}:tr-ledgers   ZSET    traffic key -> latest bucket ms: prune's index of the ledgers
 *   {ew:N}:tr-moments   HASH    traffic baselines (redis-traffic.ts): traffic key id (N = shard
 *                               of it) -> packed state: 4-byte latest hour, then msgpack of the
 *                               decayed base and pending hour slots (layout: lua/traffic-add.lua)
 *   {ew:N}:wl-edges:<w> ZSET    per-workload index of alert context (src/store/edge-ends.ts):
 *                               "<protocol><dir>|<peer>" -> first-seen ms of that edge, where
 *                               <w> = `<len>:<scope>|<workload>` and N = shard of <w>
 *   {ew:N}:wl-peers:<w> HASH    peer -> members of wl-edges:<w> with that peer (HLEN = peers)
 *   {ew:N}:wl-indexed   STRING  set once the edges of shard N that predate the index are in it
 *   {ew:N}:alert-states HASH    alert id -> its last state change (JSON: state, by, at, comment,
 *                               expires, rule) for alert ids whose shard is N, like alert-owner;
 *                               no field: open. Deleted with the alert's alert-owner record
 *   {ew:0}:rules        HASH    stored rule id -> rule JSON (spec, origin); all in shard 0: few,
 *                               read together
 *   {ew:0}:rules-version STRING counter bumped by every change of rules (replicas poll it)
 *   {ew:0}:forgets      STREAM  the forget log: one entry per forgotten edge, fields edge (edge id)
 *                               and prev (id of the entry before it, 0-0 for the first: a reader
 *                               whose cursor is not the first entry's prev missed trimmed ones);
 *                               the last 5000 kept (MAXLEN); replicas read it once per flush
 *   {ew:N}:lease:<name> STRING  owner of the named lease, expiring (PX) when the lease ends; N =
 *                               shard of the name (grouped sinks: `sink:<sink>`, one deliverer each)
 *
 * Edge id (src/core/edge.ts `edgeId`): `<len>:<scope>|<protocol>|<len>:<source>|<dest>`, where
 * <len> counts UTF-16 code units and protocol is `tcp` or `udp`. The lengths make it unambiguous
 * for any characters (separators, unicode, NUL, 10 KB names); dest, last, needs none.
 *
 * Shards: a fixed 16 (changing it would re-home every edge). The `{ew:N}` hash tag puts all keys
 * of shard N in one cluster slot, so every script touches one slot, while the 16 tags spread
 * over the cluster's masters. Shard of an edge = hash32 of the UTF-8 bytes of its edge id mod 16,
 * hash32 = FNV-1a-32 finalised with MurmurHash3's fmix32 (FNV alone leaves the low bits badly
 * mixed); of a scope = the same of the scope; of an alert id (alert-owner) = the same of the id.
 * Operations across shards (list, count, prune, claim) fan out one call per shard.
 */
import { edgeId, type EdgeKey } from '../../core/edge';
import { ConfigError } from '../../core/errors';

export const SHARDS = 16;

export interface ShardKeys {
  shard: number;
  edges: string;
  scopes: string;
  outbox: string;
  alertIds: string;
  alertOwner: string;
  deliveries: string;
  counts: string;
  alertStates: string;
  stormParked: string;
  stormParkedAt: string;
  stormDue: string;
  stormGuarded: string;
  trafficLedgers: string;
  trafficMoments: string;
}

export class RedisKeys {
  private readonly shards: ShardKeys[];

  constructor(readonly prefix: string) {
    // A brace would change which part of the key Redis Cluster hashes.
    if (prefix === '' || /[{}]/.test(prefix)) throw new ConfigError('redis_key_prefix', 'a non-empty prefix without { or }', prefix);
    this.shards = Array.from({ length: SHARDS }, (_, n) => {
      const tag = `{${prefix}:${n}}`;
      return {
        shard: n,
        edges: `${tag}:edges`,
        scopes: `${tag}:scopes`,
        outbox: `${tag}:outbox`,
        alertIds: `${tag}:alert-ids`,
        alertOwner: `${tag}:alert-owner`,
        deliveries: `${tag}:deliveries`,
        counts: `${tag}:counts`,
        alertStates: `${tag}:alert-states`,
        stormParked: `${tag}:storm-parked`,
        stormParkedAt: `${tag}:storm-parked-at`,
        stormDue: `${tag}:storm-due`,
        stormGuarded: `${tag}:storm-guarded`,
        trafficLedgers: `${tag}:tr-ledgers`,
        trafficMoments: `${tag}:tr-moments`,
      };
    });
  }

  shard(n: number): ShardKeys {
    return this.shards[n];
  }

  all(): readonly ShardKeys[] {
    return this.shards;
  }

  /** Stored rules and their version counter: one slot (shard 0), so one script updates both. */
  rules(): { rules: string; version: string } {
    const tag = `{${this.prefix}:0}`;
    return { rules: `${tag}:rules`, version: `${tag}:rules-version` };
  }

  /** The forget log: one stream in one slot (shard 0), so a replica reads it with one command. */
  forgets(): string {
    return `{${this.prefix}:0}:forgets`;
  }

  /** The per-workload index keys of one workload (alert context), in the shard of its id. */
  workload(workloadId: string): { shard: number; edges: string; peers: string } {
    const shard = shardOf(workloadId);
    const tag = `{${this.prefix}:${shard}}`;
    return { shard, edges: `${tag}:wl-edges:${workloadId}`, peers: `${tag}:wl-peers:${workloadId}` };
  }

  /** A cluster's storm window from `startMs`, in the cluster's counter shard (`shardOf(cluster)`). */
  stormWindow(cluster: string, startMs: number): string {
    return `{${this.prefix}:${shardOf(cluster)}}:storm:${startMs}:${cluster}`;
  }

  /** A traffic key's anomaly ledger (recordTrafficAnomalies), in the shard of its trafficKeyId. */
  trafficLedger(keyId: string): { shard: number; anomalies: string; ledger: string } {
    const shard = shardOf(keyId);
    const tag = `{${this.prefix}:${shard}}`;
    return { shard, anomalies: `${tag}:tr-anomalies:${keyId}`, ledger: `${tag}:tr-ledger:${keyId}` };
  }

  /** Marks that shard N's edges from before the per-workload index were back-filled into it. */
  indexed(shard: number): string {
    return `{${this.prefix}:${shard}}:wl-indexed`;
  }

  due(shard: number, sink: string): string {
    return `{${this.prefix}:${shard}}:due:${sink}`;
  }

  /** The named lease, in the shard of its name. */
  lease(name: string): string {
    return `{${this.prefix}:${shardOf(name)}}:lease:${name}`;
  }
}

/** The edge's member in `{ew:N}:edges`. */
export function edgeMember(k: EdgeKey): string {
  return edgeId(k);
}

export function shardOf(text: string): number {
  return hash32(Buffer.from(text, 'utf8')) % SHARDS;
}

/** Field of `{ew:N}:deliveries`; entry ids never contain ':' so the first ':' splits it. */
export function deliveryField(entryId: string, sink: string): string {
  return `${entryId}:${sink}`;
}

/** Fields of `{ew:N}:counts`. */
export const pendingCountField = (sink: string): string => `p:${sink}`;
export const failedCountField = (sink: string): string => `f:${sink}`;

/** FNV-1a-32, then fmix32 so that every output bit depends on every input bit. Stable: never change it. */
export function hash32(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
