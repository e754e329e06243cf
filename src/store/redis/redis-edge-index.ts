import { parseEdgeId, type EdgeKey } from '../../core/edge';
import { assembleFacts, edgeEnds, endOps, selfMembers, workloadId, type EndFacts, type EndOp } from '../edge-ends';
import type { EdgeFacts, Sighting } from '../store';
import type { RedisKeys } from './keys';
import { asArray, asNumber, asString, optionalMs } from './replies';
import type { RedisClient } from './scripts';

/** Ends per script call: bounds how long one call blocks Redis and how many keys it names. */
const ENDS_PER_CALL = 250;

/** A shard's share of a call: its keys (two per workload) and, per end, where its workload's keys are. */
interface ShardCall {
  keys: string[];
  slot: Map<string, number>;
}

function groupByShard(keys: RedisKeys, ops: readonly EndOp[]): Map<number, number[]> {
  const byShard = new Map<number, number[]>();
  ops.forEach((op, k) => {
    const shard = keys.workload(workloadId(op.scope, op.workload)).shard;
    const list = byShard.get(shard);
    if (list) list.push(k);
    else byShard.set(shard, [k]);
  });
  return byShard;
}

/** The KEYS index (1-based) of `op`'s workload in `call`, adding its two keys on first use. */
function keyIndex(keys: RedisKeys, call: ShardCall, op: EndOp): number {
  const id = workloadId(op.scope, op.workload);
  let i = call.slot.get(id);
  if (i === undefined) {
    const k = keys.workload(id);
    call.keys.push(k.edges, k.peers);
    i = call.keys.length - 1;
    call.slot.set(id, i);
  }
  return i;
}

/**
 * indexEdges on Redis: one ewIndexEdgesV1 call per workload shard touched (a new edge: at most
 * two, sent together), each atomic for its workloads. Every workload lives in one shard and a
 * shard's chunks run in order, so each workload sees the sightings of the batch in order.
 */
export async function indexEdgesRedis(client: RedisClient, keys: RedisKeys, sightings: readonly Pick<Sighting, 'key' | 'firstMs'>[]): Promise<EdgeFacts[]> {
  return (await runIndex(client, keys, sightings, true)) ?? [];
}

/** `answer` false: only record (the back-fill needs no facts, and saves most of the script's work). */
async function runIndex(client: RedisClient, keys: RedisKeys, sightings: readonly Pick<Sighting, 'key' | 'firstMs'>[], answer: boolean): Promise<EdgeFacts[] | null> {
  const ops = endOps(sightings);
  const answers: EndFacts[] = new Array<EndFacts>(ops.length);
  await Promise.all(
    [...groupByShard(keys, ops)].map(async ([, indices]) => {
      for (let c = 0; c < indices.length; c += ENDS_PER_CALL) {
        const chunk = indices.slice(c, c + ENDS_PER_CALL);
        const call: ShardCall = { keys: [], slot: new Map() };
        const argv: (string | number)[] = [answer ? '1' : '0'];
        for (const k of chunk) {
          const op = ops[k];
          argv.push(keyIndex(keys, call, op), op.protocol, op.dirs, op.peer, op.firstMs);
        }
        const reply = asArray(await client.ewIndexEdgesV1(call.keys.length, ...call.keys, ...argv), 'indexEdges');
        if (answer) chunk.forEach((k, j) => {
          answers[k] = {
            firstSeenMs: optionalMs(asString(reply[3 * j], 'indexEdges')),
            peers: asNumber(reply[3 * j + 1], 'indexEdges'),
            otherProtocol: asNumber(reply[3 * j + 2], 'indexEdges') === 1,
          };
        });
      }
    }),
  );
  return answer ? assembleFacts(sightings.length, ops, answers) : null;
}

/** Take edges out of the per-workload index (prune, forget): one ewDeindexEdgesV1 call per workload shard. */
export async function deindexEdges(client: RedisClient, keys: RedisKeys, edges: readonly EdgeKey[]): Promise<void> {
  const ops = edges.flatMap((e) => edgeEnds(e));
  await Promise.all(
    [...groupByShard(keys, ops)].map(async ([, indices]) => {
      for (let c = 0; c < indices.length; c += ENDS_PER_CALL) {
        const call: ShardCall = { keys: [], slot: new Map() };
        const argv: (string | number)[] = [];
        for (const k of indices.slice(c, c + ENDS_PER_CALL)) {
          const op = ops[k];
          const i = keyIndex(keys, call, op);
          for (const m of selfMembers(op)) argv.push(i, m, op.peer);
        }
        await client.ewDeindexEdgesV1(call.keys.length, ...call.keys, ...argv);
      }
    }),
  );
}

/**
 * The edges of one shard last seen before the cut, page by page: read, take out of the index,
 * then delete those still older than the cut. In this order a crash in between leaves edges
 * that the next prune finds again, never index entries without an edge; an edge refreshed in
 * between stays, though out of the index (its context then counts one peer less: harmless).
 * `pace` runs each page (the store's background lane: one page at a time, with rests between).
 */
export async function pruneIndexedEdges(
  client: RedisClient,
  keys: RedisKeys,
  shard: number,
  beforeMs: number,
  page: number,
  onSlice?: (deleted: number) => void,
  pace: (page: () => Promise<number>) => Promise<number> = (f) => f(),
): Promise<number> {
  const edgesKey = keys.shard(shard).edges;
  let deleted = 0;
  for (let read = page; read === page; ) {
    const n = await pace(async () => {
      const members = await client.zrangebyscore(edgesKey, '-inf', `(${beforeMs}`, 'LIMIT', 0, page);
      read = members.length;
      if (members.length === 0) return 0;
      const parsed: EdgeKey[] = [];
      for (const m of members) {
        try {
          parsed.push(parseEdgeId(m));
        } catch {
          // not written by edgewatch: nothing indexed
        }
      }
      await deindexEdges(client, keys, parsed);
      return asNumber(await client.ewPruneEdgesV1(edgesKey, beforeMs, ...members), 'prune');
    });
    deleted += n;
    if (n > 0) onSlice?.(n);
  }
  return deleted;
}

/**
 * Edges stored before the per-workload index existed (an upgrade) are put into it once, shard by
 * shard, with their last-seen as first-seen (the earliest time the baseline vouches for). ZSCAN
 * returns every edge present for the whole scan; edges added meanwhile are indexed by the
 * replica that observed them. Repeating it is harmless (indexEdges is idempotent, first-seen a
 * minimum), so replicas starting together may both do it. Returns the edges indexed.
 */
export async function backfillIndex(client: RedisClient, keys: RedisKeys, page: number): Promise<number> {
  const perShard = await Promise.all(
    keys.all().map(async (k) => {
      const marker = keys.indexed(k.shard);
      if ((await client.exists(marker)) === 1) return 0;
      let cursor = '0';
      let n = 0;
      do {
        const [next, flat] = await client.zscan(k.edges, cursor, 'COUNT', page);
        cursor = next;
        const sightings: Pick<Sighting, 'key' | 'firstMs'>[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2) {
          try {
            sightings.push({ key: parseEdgeId(flat[i]), firstMs: Number(flat[i + 1]) });
          } catch {
            // not written by edgewatch
          }
        }
        if (sightings.length > 0) await runIndex(client, keys, sightings, false);
        n += sightings.length;
      } while (cursor !== '0');
      await client.set(marker, '1');
      return n;
    }),
  );
  return perShard.reduce((a, b) => a + b, 0);
}
