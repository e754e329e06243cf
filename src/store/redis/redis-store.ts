import type { AlertDraft } from '../../core/alert';
import { parseEdgeId, type EdgeKey } from '../../core/edge';
import { StoreUnavailableError } from '../../core/errors';
import type {
  BaselineStore,
  EdgeQuery,
  EdgeRecord,
  EdgeRefresh,
  ObserveOutcome,
  OutboxEntry,
  OutboxStats,
  Sighting,
  StoredAlert,
} from '../store';
import { checkServerVersion, closeClient, createClient, DEFAULT_CONNECTION, ensureReady, pingAll, toStoreError, type ConnectionOptions } from './connection';
import { edgeMember, RedisKeys, shardOf } from './keys';
import { observeBatch } from './redis-observe';
import { RedisOutbox } from './redis-outbox';
import { asArray, asNumber, asString } from './replies';
import type { RedisClient } from './scripts';
import { parseRedisUrl } from './url';

export interface RedisStoreOptions {
  redisPassword?: string;
  redisKeyPrefix: string;
  connection?: Partial<ConnectionOptions>;
  /** Outbox entries one prune script call scans at most (default 500; tests use a small one). */
  pruneBatch?: number;
}

/** Pairs per ZADD of refresh, and outbox entries per prune call: bounds each command's work. */
const REFRESH_CHUNK = 1000;
const PRUNE_BATCH = 500;
/** listEdges reads each shard newest first in pages of this many members. */
const LIST_PAGE = 500;

/** The store for `redis://`, `rediss://`, `redis-sentinel://` and `redis-cluster://` URLs (see open-store.ts). */
export function createRedisStore(url: string, opts: RedisStoreOptions): BaselineStore {
  return new RedisStore(url, opts);
}

/**
 * BaselineStore on Redis (standalone, Sentinel or Cluster), shared by N stateless replicas.
 * Key layout in keys.ts; each atomic operation is one Lua script on one shard (lua/).
 */
export class RedisStore implements BaselineStore {
  readonly kind = 'redis' as const;
  private readonly client: RedisClient;
  private readonly keys: RedisKeys;
  private readonly outbox: RedisOutbox;
  private readonly conn: ConnectionOptions;
  private readonly pruneBatch: number;
  private sinks: string[] = [];
  private closed = false;

  constructor(url: string, opts: RedisStoreOptions) {
    this.keys = new RedisKeys(opts.redisKeyPrefix);
    this.conn = { ...DEFAULT_CONNECTION, ...opts.connection };
    this.pruneBatch = Math.max(1, opts.pruneBatch ?? PRUNE_BATCH);
    this.client = createClient(parseRedisUrl(url, opts.redisPassword), this.conn);
    this.outbox = new RedisOutbox(this.client, this.keys);
  }

  /** Sinks live in the alerts themselves: each entry names the sinks it was enqueued for. */
  async init(sinks: string[]): Promise<void> {
    await this.run('init', async () => {
      await ensureReady(this.client, this.conn.connectTimeoutMs);
      await pingAll(this.client);
      await checkServerVersion(this.client);
    });
    this.sinks = [...new Set(sinks)];
  }

  observe(sightings: Sighting[], baselineWindowMs: number): Promise<ObserveOutcome[]> {
    return this.run('observe', () => observeBatch(this.client, this.keys, this.outbox, this.sinks, sightings, baselineWindowMs));
  }

  refresh(updates: EdgeRefresh[]): Promise<void> {
    return this.run('refresh', async () => {
      const byShard = new Map<number, string[]>();
      for (const u of updates) {
        const member = edgeMember(u.key);
        const shard = shardOf(member);
        const args = byShard.get(shard) ?? [];
        args.push(String(u.lastMs), member);
        byShard.set(shard, args);
      }
      // ZADD GT is atomic and never moves a score back; no script needed.
      await Promise.all(
        [...byShard].map(async ([shard, args]) => {
          const key = this.keys.shard(shard).edges;
          for (let i = 0; i < args.length; i += 2 * REFRESH_CHUNK) await this.client.zadd(key, 'GT', ...args.slice(i, i + 2 * REFRESH_CHUNK));
        }),
      );
    });
  }

  touchScope(scope: string, pointMs: number): Promise<number> {
    return this.run('touchScope', async () => asNumber(await this.client.ewTouchScopeV1(this.keys.shard(shardOf(scope)).scopes, scope, pointMs), 'touchScope'));
  }

  prune(beforeMs: number): Promise<number> {
    return this.run('prune', async () => {
      const perShard = await Promise.all(this.keys.all().map((k) => this.pruneShard(k.shard, beforeMs)));
      return perShard.reduce((a, b) => a + b, 0);
    });
  }

  listEdges(q: EdgeQuery): Promise<EdgeRecord[]> {
    return this.run('listEdges', async () => {
      if (q.limit <= 0) return [];
      const perShard = await Promise.all(this.keys.all().map((k) => this.listShard(k.edges, q)));
      return perShard
        .flat()
        .sort((a, b) => b.lastSeenMs - a.lastSeenMs)
        .slice(0, q.limit);
    });
  }

  countEdges(): Promise<number> {
    return this.run('countEdges', async () => {
      const counts = await Promise.all(this.keys.all().map((k) => this.client.zcard(k.edges)));
      return counts.reduce((a, b) => a + b, 0);
    });
  }

  forgetEdge(key: EdgeKey): Promise<boolean> {
    return this.run('forgetEdge', async () => {
      const member = edgeMember(key);
      return (await this.client.zrem(this.keys.shard(shardOf(member)).edges, member)) === 1;
    });
  }

  enqueueAlert(draft: AlertDraft): Promise<boolean> {
    return this.run('enqueueAlert', () => this.outbox.enqueue(draft, this.sinks));
  }

  claimAlerts(sink: string, consumer: string, max: number, leaseMs: number): Promise<OutboxEntry[]> {
    return this.run('claimAlerts', () => this.outbox.claim(sink, consumer, max, leaseMs));
  }

  ackAlerts(sink: string, alertIds: string[]): Promise<void> {
    return this.run('ackAlerts', () => this.outbox.settle(sink, alertIds, 'delivered'));
  }

  retryAlert(sink: string, alertId: string, retryAtMs: number, error: string): Promise<void> {
    return this.run('retryAlert', () => this.outbox.settle(sink, [alertId], 'retry', error, retryAtMs));
  }

  failAlert(sink: string, alertId: string, error: string): Promise<void> {
    return this.run('failAlert', () => this.outbox.settle(sink, [alertId], 'failed', error));
  }

  listAlerts(limit: number): Promise<StoredAlert[]> {
    return this.run('listAlerts', () => this.outbox.list(limit));
  }

  outboxStats(): Promise<OutboxStats> {
    return this.run('outboxStats', () => this.outbox.stats(this.sinks));
  }

  ping(): Promise<void> {
    return this.run('ping', () => pingAll(this.client));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeClient(this.client);
  }

  /** One outbox page per call, so no script blocks Redis for long; alert-owner records follow. */
  private async pruneShard(shard: number, beforeMs: number): Promise<number> {
    const k = this.keys.shard(shard);
    let cursor = '';
    let edges = 0;
    do {
      const reply = asArray(await this.client.ewPruneV1(k.edges, k.outbox, k.alertIds, k.deliveries, k.counts, beforeMs, cursor, this.pruneBatch), 'prune');
      edges += asNumber(reply[0], 'prune');
      cursor = asString(reply[1], 'prune');
      const gone = reply.slice(2).map((v) => asString(v, 'prune')).filter((id) => id !== '');
      await Promise.all(gone.map((id) => this.client.hdel(this.keys.shard(shardOf(id)).alertOwner, id)));
    } while (cursor !== '');
    return edges;
  }

  /** Newest first, page by page, until `limit` matches or the shard is exhausted. */
  private async listShard(key: string, q: EdgeQuery): Promise<EdgeRecord[]> {
    const min = q.sinceMs === undefined ? '-inf' : String(q.sinceMs);
    const out: EdgeRecord[] = [];
    for (let offset = 0; out.length < q.limit; offset += LIST_PAGE) {
      const flat = await this.client.zrevrangebyscore(key, '+inf', min, 'WITHSCORES', 'LIMIT', offset, LIST_PAGE);
      for (let i = 0; i + 1 < flat.length && out.length < q.limit; i += 2) {
        const rec = toRecord(flat[i], flat[i + 1]);
        if (!rec) continue;
        if (q.scope !== undefined && rec.key.scope !== q.scope) continue;
        if (q.protocol !== undefined && rec.key.protocol !== q.protocol) continue;
        out.push(rec);
      }
      if (flat.length < 2 * LIST_PAGE) break;
    }
    return out;
  }

  private async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('redis store is closed');
    try {
      return await fn();
    } catch (err) {
      throw toStoreError(op, err);
    }
  }
}

function toRecord(member: string, score: string): EdgeRecord | null {
  try {
    return { key: parseEdgeId(member), lastSeenMs: Number(score) };
  } catch {
    return null; // not written by edgewatch
  }
}
