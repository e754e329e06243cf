import { parseEdgeId, type EdgeKey } from '../../core/edge';
import { FORGET_LOG_MAX_ENTRIES } from '../forget-log';
import type { ForgetLogPage } from '../store';
import { edgeMember, shardOf, type RedisKeys } from './keys';
import { asArray, asNumber, asString } from './replies';
import type { RedisClient } from './scripts';

/** Stream ids as XADD '*' makes them; anything else is not a cursor of this log. */
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
const NONE = '0-0';

/**
 * The Redis store's forget log: the stream `{p:0}:forgets` (keys.ts). An edge lives in its own
 * shard's slot and the log in shard 0's, so a forget is two steps, log first (forget-log.lua
 * says why); reading is one XRANGE per flush, whatever the number of shards.
 */
export class RedisForgets {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async forget(key: EdgeKey): Promise<boolean> {
    const member = edgeMember(key);
    await this.client.ewForgetLogV1(this.keys.forgets(), member, FORGET_LOG_MAX_ENTRIES);
    return asNumber(await this.client.zrem(this.keys.shard(shardOf(member)).edges, member), 'forgetEdge') === 1;
  }

  async since(cursor: string | null): Promise<ForgetLogPage> {
    if (cursor === null || !STREAM_ID.test(cursor)) return { cursor: await this.end(), keys: [], truncated: cursor !== null };
    // The log holds at most FORGET_LOG_MAX_ENTRIES: one page reads all of it.
    const entries = asArray(await this.client.xrange(this.keys.forgets(), `(${cursor}`, '+', 'COUNT', FORGET_LOG_MAX_ENTRIES + 1), 'forgottenSince').map(entryOf);
    if (entries.length === 0) return { cursor, keys: [], truncated: false };
    const last = entries[entries.length - 1].id;
    // The chain is broken: entries after the cursor were trimmed (or the cursor is another log's).
    if (entries[0].prev !== cursor) return { cursor: last, keys: [], truncated: true };
    const keys: EdgeKey[] = [];
    for (const e of entries) {
      try {
        keys.push(parseEdgeId(e.edge));
      } catch {
        // not written by edgewatch: nothing to drop
      }
    }
    return { cursor: last, keys, truncated: false };
  }

  private async end(): Promise<string> {
    const [last] = asArray(await this.client.xrevrange(this.keys.forgets(), '+', '-', 'COUNT', 1), 'forgottenSince');
    return last === undefined ? NONE : entryOf(last).id;
  }
}

function entryOf(raw: unknown): { id: string; edge: string; prev: string } {
  const [id, fields] = asArray(raw, 'forgottenSince');
  const f = asArray(fields, 'forgottenSince').map((v) => asString(v, 'forgottenSince'));
  const entry = { id: asString(id, 'forgottenSince'), edge: '', prev: '' };
  for (let i = 0; i + 1 < f.length; i += 2) {
    if (f[i] === 'edge') entry.edge = f[i + 1];
    else if (f[i] === 'prev') entry.prev = f[i + 1];
  }
  return entry;
}
