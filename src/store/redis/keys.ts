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
      };
    });
  }

  shard(n: number): ShardKeys {
    return this.shards[n];
  }

  all(): readonly ShardKeys[] {
    return this.shards;
  }

  due(shard: number, sink: string): string {
    return `{${this.prefix}:${shard}}:due:${sink}`;
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
