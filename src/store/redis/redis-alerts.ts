import { completeAlert, type AlertDraft } from '../../core/alert';
import { matchesAlertQuery, matchesState, type AlertQuery, type AlertTriage } from '../../core/triage';
import type { StoredAlert } from '../store';
import { deliveryField, shardOf, type RedisKeys } from './keys';
import { parseDraft } from './redis-outbox';
import type { RedisTriage } from './redis-triage';
import { compareEntryIds, entryFields, optionalMs, parseDelivery } from './replies';
import type { RedisClient } from './scripts';

/** Outbox entries read per shard and page while a query filters them. */
const PAGE = 500;
/**
 * Entry ids carry the Redis clock, `created` the replica's: a `since` bound on ids leaves this
 * much room, and `created` decides exactly.
 */
const CLOCK_SLACK_MS = 5 * 60_000;

interface Entry {
  shard: number;
  entryId: string;
  fields: Map<string, string>;
  created: number;
  draft: AlertDraft;
  /** Read while scanning when the query filters on state, else once the page is chosen. */
  triage?: AlertTriage | null;
}

/** Reading alerts back from the shard Streams, with their delivery states and triage. */
export class RedisAlerts {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly triage: RedisTriage,
  ) {}

  /** Newest first over every shard; each shard is read newest first until it has `limit` matches. */
  async list(limit: number, q?: AlertQuery): Promise<StoredAlert[]> {
    if (limit <= 0) return [];
    const now = q?.nowMs ?? Date.now();
    const perShard = await Promise.all(this.keys.all().map((k) => this.scanShard(k.shard, limit, q, now)));
    const newest = perShard
      .flat()
      .sort((a, b) => b.created - a.created || compareEntryIds(b.entryId, a.entryId))
      .slice(0, limit);
    const missing = newest.filter((e) => e.triage === undefined).map((e) => e.draft.id);
    const states = missing.length > 0 ? await this.triage.statesOf(missing) : new Map<string, AlertTriage | null>();
    return Promise.all(newest.map((e) => this.complete(e, e.triage ?? states.get(e.draft.id) ?? null)));
  }

  /** Through the alert-owner record of the id's shard, which names the entry. */
  async get(alertId: string): Promise<StoredAlert | null> {
    const owner = await this.client.hget(this.keys.shard(shardOf(alertId)).alertOwner, alertId);
    const m = owner === null ? null : /^(\d+):(.+)$/.exec(owner);
    if (!m) return null;
    const shard = Number(m[1]);
    const [found] = await this.client.xrange(this.keys.shard(shard).outbox, m[2], m[2]);
    if (!found) return null; // pruned between the two reads
    const e = toEntry(shard, found[0], found[1]);
    return this.complete(e, (await this.triage.statesOf([alertId])).get(alertId) ?? null);
  }

  private async scanShard(shard: number, limit: number, q: AlertQuery | undefined, now: number): Promise<Entry[]> {
    const key = this.keys.shard(shard).outbox;
    const min = q?.sinceMs === undefined ? '-' : String(Math.max(0, Math.floor(q.sinceMs - CLOCK_SLACK_MS)));
    const filtering = q !== undefined && (q.states !== undefined || q.kind !== undefined || q.cluster !== undefined || q.sinceMs !== undefined);
    // Unfiltered, the first `limit` entries are the answer: one read, as before queries existed.
    const page = filtering ? Math.min(Math.max(limit, PAGE), 10 * PAGE) : limit;
    const out: Entry[] = [];
    for (let end = '+'; ; ) {
      const raw = await this.client.xrevrange(key, end, min, 'COUNT', page);
      let entries = raw.map(([id, flat]) => toEntry(shard, id, flat));
      if (q !== undefined && filtering) {
        entries = entries.filter((e) => matchesAlertQuery(e.draft, e.created, q));
        if (q.states !== undefined && entries.length > 0) {
          const states = await this.triage.statesOf(entries.map((e) => e.draft.id));
          for (const e of entries) e.triage = states.get(e.draft.id) ?? null;
          entries = entries.filter((e) => matchesState(e.triage ?? null, q, now));
        }
      }
      for (const e of entries) {
        out.push(e);
        if (out.length >= limit) return out;
      }
      if (raw.length < page) return out;
      end = `(${raw[raw.length - 1][0]}`;
    }
  }

  private async complete(e: Entry, triage: AlertTriage | null): Promise<StoredAlert> {
    const sinks = parseSinks(e.fields.get('sinks'));
    const records = sinks.length === 0 ? [] : await this.client.hmget(this.keys.shard(e.shard).deliveries, ...sinks.map((s) => deliveryField(e.entryId, s)));
    return {
      alert: completeAlert(e.draft, optionalMs(e.fields.get('prev') ?? '')),
      createdMs: e.created,
      deliveries: sinks
        .map((sink, i) => ({ sink, ...(parseDelivery(records[i] ?? '') ?? { state: 'pending' as const, attempts: 0, lastError: null }) }))
        .sort((a, b) => (a.sink < b.sink ? -1 : a.sink > b.sink ? 1 : 0)),
      triage,
    };
  }
}

function toEntry(shard: number, entryId: string, flat: unknown): Entry {
  const fields = entryFields(flat);
  return { shard, entryId, fields, created: Number(fields.get('created') ?? 0), draft: parseDraft(fields.get('draft')) };
}

function parseSinks(text: string | undefined): string[] {
  const parsed: unknown = JSON.parse(text ?? '[]');
  return Array.isArray(parsed) ? parsed.filter((s): s is string => typeof s === 'string') : [];
}
