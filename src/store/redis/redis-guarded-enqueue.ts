/**
 * enqueueGuarded on Redis: the storm guard's three steps (redis-storm.ts) for an alert of no
 * edge. Step 1 is storm-park.lua in the shard of the alert id (where enqueueAlert would put it)
 * instead of observe.lua in an edge's shard; steps 2 and 3 are the very budget and resolve of a
 * new edge's alert, so both count in one per-cluster window. The park also marks the id in
 * storm-guarded: a later call with the id is 'exists', in any window, until prune.
 */
import type { AlertDraft } from '../../core/alert';
import { guardedProtocol } from '../guarded-enqueue';
import type { GuardedEnqueue } from '../store';
import type { StormPolicy } from '../storm';
import { shardOf, type RedisKeys } from './keys';
import type { RedisStorm } from './redis-storm';
import { asArray, asString } from './replies';
import type { RedisClient } from './scripts';

export async function enqueueGuardedRedis(
  client: RedisClient,
  keys: RedisKeys,
  storm: RedisStorm,
  sinks: readonly string[],
  draft: AlertDraft,
  policy: StormPolicy,
): Promise<GuardedEnqueue> {
  const protocol = guardedProtocol(draft);
  const shard = shardOf(draft.id);
  const k = keys.shard(shard);
  const reply = asArray(
    await client.ewStormParkV1(k.alertIds, k.alertOwner, k.stormParked, k.stormParkedAt, k.stormGuarded, draft.id, JSON.stringify(draft), Date.now(), JSON.stringify(sinks), draft.cluster, protocol, policy.windowMs, policy.maxPerWindow),
    'storm park',
  );
  if (reply.length === 0) return 'exists';
  // Parked and not decided here ('held': not enqueued by this call): the sweeper finishes it.
  if (policy.parkOnly) return 'held';
  const [windowStartMs, parkedAtMs] = reply.map((v) => Number(asString(v, 'storm park')));
  const results = await storm.decide([{ alertId: draft.id, shard, cluster: draft.cluster, protocol, windowStartMs, windowMs: policy.windowMs, max: policy.maxPerWindow, parkedAtMs }]);
  const r = results.get(draft.id);
  if (r === 'alerted') return 'enqueued';
  if (r === 'held') return 'held';
  // Still parked: the budget could not place it (both windows summarised); the sweeper will.
  // Not parked any more: a sweeper finished it first, or enqueueAlert took the id meanwhile.
  return (await client.hexists(k.stormParked, draft.id)) === 1 ? 'held' : 'exists';
}

/** Forgets guarded ids parked before `beforeMs` (prune: their alerts leave the outbox by then). */
export async function pruneGuardedRedis(client: RedisClient, keys: RedisKeys, beforeMs: number): Promise<void> {
  await Promise.all(keys.all().map((k) => client.zremrangebyscore(k.stormGuarded, '-inf', `(${beforeMs}`)));
}
