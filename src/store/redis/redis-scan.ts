import { parseEdgeId, type EdgeKey } from '../../core/edge';
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

/** Reads per shard at most in one round of a filtered scan that keeps finding few matches. */
const MAX_PER_SHARD = 2048;

/**
 * scanEdges on Redis: a merge of the 16 shards' ZSETs with one cursor position per shard. Each
 * round reads about twice the page's share from every unfinished shard (ewScanEdgesV1, one key
 * per call: Cluster-safe) and consumes only what is certainly ahead of every unread member:
 * last-seen at or above the highest "last read" score of the shards with more to read. Each
 * shard thus advances by a prefix of its own order, which keeps the merged order and never
 * repeats a member. Scope and protocol filters are applied to the members read (the edge id
 * holds both): a round that fills too little of the page reads twice as much in the next.
 */
export async function scanEdges(client: RedisClient, keys: RedisKeys, q: EdgeScan): Promise<EdgePage> {
  if (q.limit <= 0) return { edges: [], cursor: null };
  let pos: ShardPos[] = q.cursor === undefined ? Array.from({ length: SHARDS }, () => null) : decodeCursor(q.cursor, isPositions);
  const least = q.sinceMs === undefined ? '-inf' : String(q.sinceMs);
  let perShard = Math.max(16, Math.ceil((2 * q.limit) / SHARDS));
  const match = (k: EdgeKey): boolean => (q.scope === undefined || k.scope === q.scope) && (q.protocol === undefined || k.protocol === q.protocol);
  const edges: EdgeRecord[] = [];
  for (;;) {
    const want = q.limit - edges.length;
    const page = await readPage(client, keys, pos, least, perShard, want, match);
    pos = page.pos;
    edges.push(...page.edges);
    const done = pos.every((p) => p === 0);
    if (edges.length >= q.limit || done) return { edges, cursor: done ? null : encodeCursor(pos) };
    // Members not written by edgewatch or filtered out were stepped over: read on, more at a time.
    if (page.edges.length < want / 2) perShard = Math.min(MAX_PER_SHARD, perShard * 2);
  }
}

/** One round: consume members in merged order until `want` match or nothing more is certainly ahead. */
async function readPage(client: RedisClient, keys: RedisKeys, pos: ShardPos[], least: string, perShard: number, want: number, match: (k: EdgeKey) => boolean): Promise<{ edges: EdgeRecord[]; pos: ShardPos[] }> {
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
  const next = [...pos];
  const takenPerShard = new Array<number>(SHARDS).fill(0);
  const edges: EdgeRecord[] = [];
  for (const f of ahead) {
    if (edges.length >= want) break;
    next[f.shard] = [f.scoreText, f.member];
    takenPerShard[f.shard]++;
    let key: EdgeKey;
    try {
      key = parseEdgeId(f.member);
    } catch {
      continue; // not written by edgewatch
    }
    if (match(key)) edges.push({ key, lastSeenMs: f.score });
  }
  reads.forEach((r, shard) => {
    if (pos[shard] !== 0 && r.length < perShard && takenPerShard[shard] === r.length) next[shard] = 0;
  });
  return { edges, pos: next };
}
