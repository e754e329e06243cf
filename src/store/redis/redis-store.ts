import type { AlertDraft } from '../../core/alert';
import { parseEdgeId, type EdgeKey } from '../../core/edge';
import { StoreUnavailableError } from '../../core/errors';
import type { AlertQuery, AlertTriage, StoredRule } from '../../core/triage';
import type {
  AlertStateUpdate,
  BaselineStore,
  EdgeFacts,
  EdgePage,
  EdgeQuery,
  EdgeScan,
  EdgeRecord,
  EdgeRefresh,
  ForgetLogPage,
  ObserveOutcome,
  OutboxEntry,
  OutboxStats,
  ScopeRecord,
  Sighting,
  StoredAlert,
  TrafficBaseline,
  TrafficDelta,
} from '../store';
import type { StormPolicy, StormSummaryBuilder, StormSweepResult } from '../storm';
import { checkServerVersion, closeClient, createClient, DEFAULT_CONNECTION, ensureReady, pingAll, toStoreError, type ConnectionOptions } from './connection';
import { edgeMember, RedisKeys, shardOf } from './keys';
import { RedisForgets } from './redis-forgets';
import { backfillIndex, deindexEdges, indexEdgesRedis, pruneIndexedEdges } from './redis-edge-index';
import { observeBatch, ownAlertId } from './redis-observe';
import { RedisStorm } from './redis-storm';
import { RedisAlerts } from './redis-alerts';
import { RedisOutbox } from './redis-outbox';
import { scanEdges } from './redis-scan';
import { RedisTraffic } from './redis-traffic';
import { RedisTriage } from './redis-triage';
import { pruneHour } from '../traffic-state';
import { asArray, asNumber, asString } from './replies';
import type { RedisClient } from './scripts';
import { parseRedisUrl } from './url';
import type { TrafficAnomaly } from '../../core/traffic';
import type { GuardedEnqueue, TrafficFiring, TrafficRule } from '../store';
import { pruneAnomaliesRedis, recordAnomaliesRedis } from './redis-anomalies';
import { enqueueGuardedRedis, pruneGuardedRedis } from './redis-guarded-enqueue';
import { BackgroundLane, LaneClosedError } from '../background-lane';

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
/** Edges per ZSCAN page of the one-time index back-fill. */
const INDEX_BACKFILL_PAGE = 1000;
/** A storm park this old is finished by prune even where no storm guard sweeps. */
const PARK_ABANDONED_MS = 60_000;
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
  private readonly storm: RedisStorm;
  private readonly triage: RedisTriage;
  private readonly alerts: RedisAlerts;
  private readonly forgets: RedisForgets;
  private readonly traffic: RedisTraffic;
  private readonly conn: ConnectionOptions;
  private readonly pruneBatch: number;
  private sinks: string[] = [];
  private closed = false;
  /** Prune pages, one at a time with rests between (background-lane.ts). */
  private readonly lane = new BackgroundLane();

  constructor(url: string, opts: RedisStoreOptions) {
    this.keys = new RedisKeys(opts.redisKeyPrefix);
    this.conn = { ...DEFAULT_CONNECTION, ...opts.connection };
    this.pruneBatch = Math.max(1, opts.pruneBatch ?? PRUNE_BATCH);
    this.client = createClient(parseRedisUrl(url, opts.redisPassword), this.conn);
    this.outbox = new RedisOutbox(this.client, this.keys);
    this.storm = new RedisStorm(this.client, this.keys, this.outbox, (shard, entryId, alertId) => ownAlertId(this.client, this.keys, this.outbox, shard, entryId, alertId));
    this.triage = new RedisTriage(this.client, this.keys);
    this.alerts = new RedisAlerts(this.client, this.keys, this.triage);
    this.forgets = new RedisForgets(this.client, this.keys);
    this.traffic = new RedisTraffic(this.client, this.keys);
  }

  /** Sinks live in the alerts themselves: each entry names the sinks it was enqueued for. */
  async init(sinks: string[]): Promise<void> {
    await this.run('init', async () => {
      await ensureReady(this.client, this.conn.connectTimeoutMs);
      await pingAll(this.client);
      await checkServerVersion(this.client);
      // Once per store: edges from before the alert-context index go into it (a no-op after).
      await backfillIndex(this.client, this.keys, INDEX_BACKFILL_PAGE);
    });
    this.sinks = [...new Set(sinks)];
  }

  observe(sightings: Sighting[], baselineWindowMs: number, storm?: StormPolicy): Promise<ObserveOutcome[]> {
    return this.run('observe', () => observeBatch(this.client, this.keys, this.outbox, this.storm, this.sinks, sightings, baselineWindowMs, storm));
  }

  summariseStorms(graceMs: number, build: StormSummaryBuilder): Promise<AlertDraft[]> {
    return this.run('summariseStorms', () => this.storm.summarise(graceMs, build, this.sinks));
  }

  sweepStorm(minAgeMs: number): Promise<StormSweepResult> {
    return this.run('sweepStorm', () => this.storm.sweep(minAgeMs));
  }

  indexEdges(sightings: readonly Pick<Sighting, 'key' | 'firstMs'>[]): Promise<EdgeFacts[]> {
    return this.run('indexEdges', () => indexEdgesRedis(this.client, this.keys, sightings));
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
      // ZADD XX GT is atomic, never moves a score back and never adds a member (a forgotten
      // edge stays forgotten); no script needed.
      await Promise.all(
        [...byShard].map(async ([shard, args]) => {
          const key = this.keys.shard(shard).edges;
          for (let i = 0; i < args.length; i += 2 * REFRESH_CHUNK) await this.client.zadd(key, 'XX', 'GT', ...args.slice(i, i + 2 * REFRESH_CHUNK));
        }),
      );
    });
  }

  touchScope(scope: string, pointMs: number): Promise<number> {
    return this.run('touchScope', async () => asNumber(await this.client.ewTouchScopeV1(this.keys.shard(shardOf(scope)).scopes, scope, pointMs), 'touchScope'));
  }

  prune(beforeMs: number, onSlice?: (deleted: number) => void): Promise<number> {
    return this.run('prune', async () => {
      // One shard after the other, one page at a time on the lane: sixteen shards' scripts
      // pipelined at once held Redis (and every observe behind them) for hundreds of ms.
      let edges = 0;
      for (const k of this.keys.all()) edges += await this.pruneShard(k.shard, beforeMs, onSlice);
      // Parks a crash left while nobody sweeps (the storm guard turned off since) are finished
      // here: each park carries its cap and window, so no policy is needed.
      await this.storm.sweep(PARK_ABANDONED_MS);
      await Promise.all([pruneAnomaliesRedis(this.client, this.keys, beforeMs), pruneGuardedRedis(this.client, this.keys, beforeMs)]);
      // Traffic keys, one HSCAN page per script call; not edges, so not counted.
      await this.traffic.prune(pruneHour(beforeMs), this.pruneBatch);
      return edges;
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

  /** One HGETALL per shard's scopes hash: each is one key, so it works on Redis Cluster. */
  listScopes(): Promise<ScopeRecord[]> {
    return this.run('listScopes', async () => {
      const perShard = await Promise.all(this.keys.all().map((k) => this.client.hgetall(k.scopes)));
      const out = perShard.flatMap((h) => Object.entries(h).map(([scope, ms]) => ({ scope, firstPointMs: Number(ms) })));
      return out.sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
    });
  }

  scanEdges(q: EdgeScan): Promise<EdgePage> {
    return this.run('scanEdges', () => scanEdges(this.client, this.keys, q));
  }

  forgetEdge(key: EdgeKey): Promise<boolean> {
    return this.run('forgetEdge', async () => {
      const existed = await this.forgets.forget(key);
      await deindexEdges(this.client, this.keys, [key]);
      return existed;
    });
  }

  forgottenSince(cursor: string | null): Promise<ForgetLogPage> {
    return this.run('forgottenSince', () => this.forgets.since(cursor));
  }

  addTrafficMoments(deltas: TrafficDelta[]): Promise<void> {
    return this.run('addTrafficMoments', () => this.traffic.add(deltas));
  }

  readTrafficBaselines(keys: string[], hour: number, decayPerHour: number): Promise<TrafficBaseline[]> {
    return this.run('readTrafficBaselines', () => this.traffic.read(keys, hour, decayPerHour));
  }

  enqueueAlert(draft: AlertDraft): Promise<boolean> {
    return this.run('enqueueAlert', () => this.outbox.enqueue(draft, this.sinks));
  }

  enqueueGuarded(draft: AlertDraft, storm: StormPolicy): Promise<GuardedEnqueue> {
    return this.run('enqueueGuarded', () => enqueueGuardedRedis(this.client, this.keys, this.storm, this.sinks, draft, storm));
  }

  recordTrafficAnomalies(anomalies: TrafficAnomaly[], rule: TrafficRule): Promise<TrafficFiring[]> {
    return this.run('recordTrafficAnomalies', () => recordAnomaliesRedis(this.client, this.keys, anomalies, rule));
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

  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(ttlMs));
    return this.run('acquireLease', async () => asNumber(await this.client.ewLeaseAcquireV1(this.keys.lease(name), owner, ttl), 'acquireLease') === 1);
  }

  releaseLease(name: string, owner: string): Promise<boolean> {
    return this.run('releaseLease', async () => asNumber(await this.client.ewLeaseReleaseV1(this.keys.lease(name), owner), 'releaseLease') === 1);
  }

  listAlerts(limit: number, query?: AlertQuery): Promise<StoredAlert[]> {
    return this.run('listAlerts', () => this.alerts.list(limit, query));
  }

  getAlert(alertId: string): Promise<StoredAlert | null> {
    return this.run('getAlert', () => this.alerts.get(alertId));
  }

  setAlertState(alertId: string, change: AlertTriage): Promise<AlertStateUpdate | null> {
    return this.run('setAlertState', () => this.triage.setAlertState(alertId, change));
  }

  putRule(rule: StoredRule): Promise<void> {
    return this.run('putRule', () => this.triage.putRule(rule));
  }

  listRules(): Promise<StoredRule[]> {
    return this.run('listRules', () => this.triage.listRules());
  }

  deleteRule(ruleId: string): Promise<boolean> {
    return this.run('deleteRule', () => this.triage.deleteRule(ruleId));
  }

  rulesVersion(): Promise<number> {
    return this.run('rulesVersion', () => this.triage.rulesVersion());
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
    this.lane.close();
    await closeClient(this.client);
  }

  /** One outbox page per call, so no script blocks Redis for long; alert-owner records follow. */
  private async pruneShard(shard: number, beforeMs: number, onSlice?: (deleted: number) => void): Promise<number> {
    const k = this.keys.shard(shard);
    let cursor = '';
    // Edges with their index entries first; ewPruneV1's own edge deletion then finds (almost) none.
    const pace = <T>(page: () => Promise<T>): Promise<T> => this.lane.run(page);
    let edges = await pruneIndexedEdges(this.client, this.keys, shard, beforeMs, this.pruneBatch, onSlice, pace);
    do {
      const raced = await pace(async () => {
        const reply = asArray(await this.client.ewPruneV1(k.edges, k.outbox, k.alertIds, k.deliveries, k.counts, beforeMs, cursor, this.pruneBatch), 'prune');
        cursor = asString(reply[1], 'prune');
        const gone = reply.slice(2).map((v) => asString(v, 'prune')).filter((id) => id !== '');
        await Promise.all(gone.map((id) => this.client.hdel(this.keys.shard(shardOf(id)).alertOwner, id)));
        // After alert-owner: a state change racing the prune finds no alert, or is deleted here.
        await this.triage.forgetStates(gone);
        return asNumber(reply[0], 'prune');
      });
      edges += raced;
      if (raced > 0) onSlice?.(raced);
    } while (cursor !== '');
    // Storm windows expire by TTL; index entries of windows that ended before the cut go here.
    await this.client.zremrangebyscore(k.stormDue, '-inf', `(${beforeMs}`);
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
      if (err instanceof LaneClosedError) throw new StoreUnavailableError('redis store is closed', err);
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
