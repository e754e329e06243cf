import { parseEdgeId } from '../../core/edge';
import type { EdgePage, EdgeRecord, EdgeScan } from '../store';
import { decodeCursor, encodeCursor } from '../scan-cursor';
import { SHARDS, type RedisKeys } from './keys';
import { asArray, asString } from './replies';
import type { RedisClient } from './scripts';

/** Where a shard's scan stands: null not started, 0 done, else the last (score, member) returned. */
type ShardPos = null | 0 | [score: string, member: string];

interface Fetched {
  score: number;
  scoreText: string;
  member: string;
  shard: number;
}

const isPositions = (p: unknown[]): p is ShardPos[] =>
  p.length === SHARDS && p.every((x) => x === null || x === 0 || (Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && typeof x[1] === 'string'));

/**
 * scanEdges on Redis: a merge of the 16 shards' ZSETs with one cursor position per shard. Each
 * page reads about twice its share from every unfinished shard (ewScanEdgesV1, one key per call:
 * Cluster-safe) and returns only what is certainly ahead of every unread member: last-seen at or
 * above the highest "last read" score of the shards with more to read. Each shard thus advances
 * by a prefix of its own order, which keeps the merged order and never repeats a member.
 */
export async function scanEdges(client: RedisClient, keys: RedisKeys, q: EdgeScan): Promise<EdgePage> {
  if (q.limit <= 0) return { edges: [], cursor: null };
  let pos: ShardPos[] = q.cursor === undefined ? Array.from({ length: SHARDS }, () => null) : decodeCursor(q.cursor, isPositions);
  const least = q.sinceMs === undefined ? '-inf' : String(q.sinceMs);
  const perShard = Math.max(16, Math.ceil((2 * q.limit) / SHARDS));
  for (;;) {
    const page = await readPage(client, keys, pos, least, perShard, q.limit);
    pos = page.pos;
    const done = pos.every((p) => p === 0);
    // Members not written by edgewatch are stepped over; a page of only those reads on.
    if (page.edges.length > 0 || done) return { edges: page.edges, cursor: done ? null : encodeCursor(pos) };
  }
}

async function readPage(client: RedisClient, keys: RedisKeys, pos: ShardPos[], least: string, perShard: number, limit: number): Promise<{ edges: EdgeRecord[]; pos: ShardPos[] }> {
  const reads = await Promise.all(
    pos.map(async (p, shard) => {
      if (p === 0) return [];
      const [score, member] = p ?? ['', ''];
      const flat = asArray(await client.ewScanEdgesV1(keys.shard(shard).edges, score, member, least, perShard), 'scanEdges');
      const out: Fetched[] = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const scoreText = asString(flat[i + 1], 'scanEdges');
        out.push({ member: asString(flat[i], 'scanEdges'), scoreText, score: Number(scoreText), shard });
      }
      return out;
    }),
  );
  // Unread members of a shard that filled its read score at most its last read one.
  let cut = -Infinity;
  for (const r of reads) if (r.length === perShard) cut = Math.max(cut, r[r.length - 1].score);
  const ahead = reads.flat().filter((f) => f.score >= cut);
  // Stable: members of one shard keep their order, so each shard advances by a prefix.
  ahead.sort((a, b) => b.score - a.score);
  const taken = ahead.slice(0, limit);
  const next = [...pos];
  const takenPerShard = new Array<number>(SHARDS).fill(0);
  for (const f of taken) {
    next[f.shard] = [f.scoreText, f.member];
    takenPerShard[f.shard]++;
  }
  reads.forEach((r, shard) => {
    if (pos[shard] !== 0 && r.length < perShard && takenPerShard[shard] === r.length) next[shard] = 0;
  });
  const edges: EdgeRecord[] = [];
  for (const f of taken) {
    try {
      edges.push({ key: parseEdgeId(f.member), lastSeenMs: f.score });
    } catch {
      // not written by edgewatch
    }
  }
  return { edges, pos: next };
}
