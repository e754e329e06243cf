import type { AlertDraft } from '../../core/alert';
import type { OutboxEntry, OutboxStats } from '../store';
import { shardOf, SHARDS, type RedisKeys } from './keys';
import { asArray, asNumber, asString, compareEntryIds, optionalMs } from './replies';
import type { RedisClient } from './scripts';

interface Location {
  shard: number;
  entryId: string;
}

type Outcome = 'delivered' | 'failed' | 'retry';

/** Locations remembered from claims, so an ack needs no lookup; bounded, oldest dropped first. */
const LOCATION_CACHE_MAX = 10_000;

/**
 * The alert outbox on the shard Streams: one consumer group per sink, a due set per sink and
 * shard for leases and retry times, delivery records for states and attempts (keys.ts).
 */
export class RedisOutbox {
  private readonly locations = new Map<string, Location>();
  private rotation = 0;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  /** An alert of no sighting, in the shard of its id (enqueue.lua); false if the id exists. */
  async enqueue(draft: AlertDraft, sinks: readonly string[]): Promise<boolean> {
    const shard = shardOf(draft.id);
    const k = this.keys.shard(shard);
    const reply = await this.client.ewEnqueueV1(k.outbox, k.alertIds, k.deliveries, k.counts, k.alertOwner, Date.now(), JSON.stringify(sinks), draft.id, JSON.stringify(draft), shard);
    const entryId = asString(reply, 'enqueue');
    if (entryId === '') return false;
    this.remember(draft.id, { shard, entryId });
    return true;
  }

  async claim(sink: string, consumer: string, max: number, leaseMs: number): Promise<OutboxEntry[]> {
    if (max <= 0) return [];
    const now = Date.now();
    // Spread the quota over the shards, then give shards that filled theirs a second pass.
    const per = Math.ceil(max / SHARDS);
    const start = this.rotation++ % SHARDS;
    const order = Array.from({ length: SHARDS }, (_, i) => (start + i) % SHARDS);
    const first = await Promise.all(order.map((shard) => this.claimShard(shard, sink, consumer, per, leaseMs, now)));
    let got = first.flat();
    const full = order.filter((_, i) => first[i].length === per);
    if (got.length < max && full.length > 0) {
      const more = await Promise.all(full.map((shard) => this.claimShard(shard, sink, consumer, max - got.length, leaseMs, now)));
      got = got.concat(more.flat());
    }
    got.sort((a, b) => a.entry.createdMs - b.entry.createdMs || compareEntryIds(a.entryId, b.entryId));
    // Surplus of the parallel passes goes straight back: claimable by anyone at once.
    await Promise.all(got.slice(max).map((c) => this.client.zadd(this.keys.due(c.shard, sink), 'XX', now, c.entryId)));
    const kept = got.slice(0, max);
    for (const c of kept) this.remember(c.entry.alertId, { shard: c.shard, entryId: c.entryId });
    return kept.map((c) => c.entry);
  }

  async settle(sink: string, alertIds: string[], outcome: Outcome, error = '', retryAtMs = 0): Promise<void> {
    if (alertIds.length === 0) return;
    const located = await this.locate(alertIds);
    const byShard = new Map<number, string[]>();
    for (const loc of located) {
      const ids = byShard.get(loc.shard);
      if (ids) ids.push(loc.entryId);
      else byShard.set(loc.shard, [loc.entryId]);
    }
    await Promise.all(
      [...byShard].map(([shard, ids]) => {
        const k = this.keys.shard(shard);
        return this.client.ewSettleV1(k.outbox, this.keys.due(shard, sink), k.deliveries, k.counts, outcome, sink, error, retryAtMs, ...ids);
      }),
    );
    if (outcome !== 'retry') for (const id of alertIds) this.locations.delete(id);
  }

  /** From the counters the scripts keep, so they are right after restarts and across replicas. */
  async stats(sinks: readonly string[]): Promise<OutboxStats> {
    const stats: OutboxStats = { pending: {}, failed: {} };
    for (const sink of sinks) {
      stats.pending[sink] = 0;
      stats.failed[sink] = 0;
    }
    const counts = await Promise.all(this.keys.all().map((k) => this.client.hgetall(k.counts)));
    for (const shard of counts) {
      for (const [field, value] of Object.entries(shard)) {
        const n = Number(value);
        const bucket = field.startsWith('p:') ? stats.pending : field.startsWith('f:') ? stats.failed : null;
        const sink = field.slice(2);
        // Sinks no longer registered are listed only while they still hold something.
        if (bucket && (n > 0 || sinks.includes(sink))) bucket[sink] = (bucket[sink] ?? 0) + n;
      }
    }
    return stats;
  }

  /** Records which entry an alert id is (observe after enqueueing, claim). */
  remember(alertId: string, loc: Location): void {
    if (this.locations.size >= LOCATION_CACHE_MAX) {
      const oldest = this.locations.keys().next();
      if (!oldest.done) this.locations.delete(oldest.value);
    }
    this.locations.set(alertId, loc);
  }

  private async claimShard(shard: number, sink: string, consumer: string, max: number, leaseMs: number, now: number) {
    const k = this.keys.shard(shard);
    const reply = asArray(await this.client.ewClaimV1(k.outbox, this.keys.due(shard, sink), k.deliveries, sink, consumer, max, leaseMs, now), 'claim');
    return reply.map((raw) => {
      const [entryId, alertId, draft, prev, created, attempts] = asArray(raw, 'claimed entry').map((v) => asString(v, 'claimed entry'));
      const entry: OutboxEntry = { alertId, sink, draft: parseDraft(draft), previousSeenMs: optionalMs(prev), attempts: asNumber(attempts, 'attempts'), createdMs: Number(created) };
      return { shard, entryId, entry };
    });
  }

  /** Where each alert id's entry is: remembered, else its alert-owner record, else a search of every shard. */
  private async locate(alertIds: string[]): Promise<Location[]> {
    const found = await Promise.all(
      [...new Set(alertIds)].map(async (id): Promise<Location | null> => {
        const known = this.locations.get(id);
        if (known) return known;
        const owner = await this.client.hget(this.keys.shard(shardOf(id)).alertOwner, id);
        const m = owner === null ? null : /^(\d+):(.+)$/.exec(owner);
        if (m) return { shard: Number(m[1]), entryId: m[2] };
        const hits = await Promise.all(this.keys.all().map((k) => this.client.hget(k.alertIds, id)));
        const shard = hits.findIndex((h) => h !== null);
        return shard < 0 ? null : { shard, entryId: hits[shard] ?? '' };
      }),
    );
    return found.filter((l): l is Location => l !== null);
  }
}

export function parseDraft(text: string | undefined): AlertDraft {
  // Written by observe() from an AlertDraft; the store is the only writer of the stream.
  return JSON.parse(text ?? '{}') as AlertDraft;
}
