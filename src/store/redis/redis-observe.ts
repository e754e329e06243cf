import { draftOf, type ObserveOutcome, type Sighting } from '../store';
import { stormWindowStart, type StormPolicy } from '../storm';
import { edgeMember, shardOf, type RedisKeys } from './keys';
import type { RedisOutbox } from './redis-outbox';
import type { Parked, RedisStorm } from './redis-storm';
import { asArray, asString, optionalMs } from './replies';
import type { RedisClient } from './scripts';

/** Sightings per script call: bounds how long one call blocks Redis (drafts are a few KB). */
const OBSERVE_CHUNK = 500;
/** Values per sighting in observe.lua's reply. */
const REPLY_WIDTH = 6;

interface Enqueued {
  index: number;
  shard: number;
  entryId: string;
  alertId: string;
}

/**
 * observe() on Redis: one ewObserveV3 call per shard touched (chunks of a shard run in order, so
 * a key seen twice in a batch is new then known). Then each enqueued alert claims its id in
 * alert-owner: a second entry with an id enqueued in another shard is taken back (retract.lua).
 * With a storm policy, new edges' alerts are parked by the script and decided by `storm`
 * (steps 2 and 3, redis-storm.ts) before this returns. Once a cluster's current window is known
 * to be spent, its alerts are parked without their drafts (no JSON built or sent: a first deploy
 * holds back nearly all of its new edges).
 */
export async function observeBatch(
  client: RedisClient,
  keys: RedisKeys,
  outbox: RedisOutbox,
  storm: RedisStorm,
  sinks: readonly string[],
  sightings: Sighting[],
  windowMs: number,
  policy?: StormPolicy,
): Promise<ObserveOutcome[]> {
  const now = Date.now();
  const sinksJson = JSON.stringify(sinks);
  const members = sightings.map((s) => edgeMember(s.key));
  const byShard = new Map<number, number[]>();
  members.forEach((m, i) => {
    const shard = shardOf(m);
    const list = byShard.get(shard);
    if (list) list.push(i);
    else byShard.set(shard, [i]);
  });
  const outcomes: ObserveOutcome[] = new Array(sightings.length);
  // Sightings whose cluster's window (on this clock) a budget call found spent: held back for sure.
  const spentAt = policy ? stormWindowStart(now, policy.windowMs) : -1;
  const light = policy ? sightings.map((s) => s.alert !== undefined && storm.spentWindow(s.alert.cluster, policy) === spentAt) : [];
  const enqueued: Enqueued[] = [];
  const parked: Array<Parked & { index: number }> = [];

  await Promise.all(
    [...byShard].map(async ([shard, indices]) => {
      const k = keys.shard(shard);
      for (let c = 0; c < indices.length; c += OBSERVE_CHUNK) {
        const chunk = indices.slice(c, c + OBSERVE_CHUNK);
        const call = (lightOk: boolean): Promise<unknown> => {
          const lit = lightOk && chunk.some((i) => light[i]);
          const argv: (string | number)[] = [windowMs, now, sinksJson, policy?.maxPerWindow ?? 0, policy?.windowMs ?? 0, lit ? spentAt : ''];
          for (const i of chunk) {
            const s = sightings[i];
            // Held back for sure: no draft is built (LazyAlert) nor sent.
            const draft = !s.alert || (lit && light[i]) ? '' : JSON.stringify(draftOf(s.alert));
            argv.push(members[i], s.firstMs, s.lastMs, s.alert?.id ?? '', draft, s.alert?.cluster ?? '', s.key.protocol);
          }
          return client.ewObserveV3(k.edges, k.outbox, k.alertIds, k.deliveries, k.counts, k.stormParked, k.stormParkedAt, ...argv);
        };
        let raw = await call(true);
        // The server's window is not the one seen spent (clock skew, a boundary): nothing was written.
        if (Array.isArray(raw) && raw.length === 1 && raw[0] === 'redo') raw = await call(false);
        const reply = asArray(raw, 'observe');
        chunk.forEach((i, j) => {
          const [isNew, prev, seen, entryId, parkWindow, parkedAt] = reply.slice(REPLY_WIDTH * j, REPLY_WIDTH * j + REPLY_WIDTH).map((v) => asString(v, 'observe'));
          outcomes[i] = { isNew: isNew === '1', previousSeenMs: optionalMs(prev), lastSeenMs: Number(seen), alerted: entryId !== '' };
          const s = sightings[i];
          if (entryId !== '') enqueued.push({ index: i, shard, entryId, alertId: s.alert?.id ?? '' });
          if (parkWindow !== '' && s.alert && policy) {
            parked.push({
              index: i,
              alertId: s.alert.id,
              shard,
              cluster: s.alert.cluster,
              protocol: s.key.protocol,
              windowStartMs: Number(parkWindow),
              windowMs: policy.windowMs,
              max: policy.maxPerWindow,
              parkedAtMs: Number(parkedAt),
            });
          }
        });
      }
    }),
  );

  const own = (e: Enqueued): Promise<void> =>
    ownAlertId(client, keys, outbox, e.shard, e.entryId, e.alertId).then((mine) => {
      if (!mine) outcomes[e.index] = { ...outcomes[e.index], alerted: false };
    });
  await Promise.all(enqueued.map(own));
  if (parked.length > 0 && !policy?.parkOnly) {
    const results = await storm.decide(parked);
    for (const p of parked) {
      const r = results.get(p.alertId);
      if (r === 'alerted') outcomes[p.index].alerted = true;
      if (r === 'held') outcomes[p.index].heldBack = true;
    }
  }
  return outcomes;
}

/**
 * Alert ids are unique per shard inside the scripts; across shards (the same id carried by two
 * edges, which real ids never are) alert-owner keeps the first and the later entry is retracted.
 * Returns whether the entry in `shard` is the alert's (false: it was taken back).
 */
export async function ownAlertId(client: RedisClient, keys: RedisKeys, outbox: RedisOutbox, shard: number, entryId: string, alertId: string): Promise<boolean> {
  const ownerKey = keys.shard(shardOf(alertId)).alertOwner;
  const mine = `${shard}:${entryId}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if ((await client.hsetnx(ownerKey, alertId, mine)) === 1) {
      outbox.remember(alertId, { shard, entryId });
      return true;
    }
    const owner = await client.hget(ownerKey, alertId);
    if (owner === mine) return true; // a re-run (the sweeper) of our own claim
    if (owner !== null) break; // owned by an entry elsewhere; null: pruned meanwhile, try again
  }
  const k = keys.shard(shard);
  await client.ewRetractV1(k.outbox, k.alertIds, k.deliveries, k.counts, entryId, alertId);
  return false;
}
