import type { ObserveOutcome, Sighting } from '../store';
import { edgeMember, shardOf, type RedisKeys } from './keys';
import type { RedisOutbox } from './redis-outbox';
import { asArray, asString, optionalMs } from './replies';
import type { RedisClient } from './scripts';

/** Sightings per script call: bounds how long one call blocks Redis (drafts are a few KB). */
const OBSERVE_CHUNK = 500;

interface Enqueued {
  index: number;
  shard: number;
  entryId: string;
  alertId: string;
}

/**
 * observe() on Redis: one ewObserveV1 call per shard touched (chunks of a shard run in order, so
 * a key seen twice in a batch is new then known). Then each enqueued alert claims its id in
 * alert-owner: a second entry with an id enqueued in another shard is taken back (retract.lua).
 */
export async function observeBatch(
  client: RedisClient,
  keys: RedisKeys,
  outbox: RedisOutbox,
  sinks: readonly string[],
  sightings: Sighting[],
  windowMs: number,
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
  const enqueued: Enqueued[] = [];

  await Promise.all(
    [...byShard].map(async ([shard, indices]) => {
      const k = keys.shard(shard);
      for (let c = 0; c < indices.length; c += OBSERVE_CHUNK) {
        const chunk = indices.slice(c, c + OBSERVE_CHUNK);
        const argv: (string | number)[] = [windowMs, now, sinksJson];
        for (const i of chunk) {
          const s = sightings[i];
          argv.push(members[i], s.firstMs, s.lastMs, s.alert?.id ?? '', s.alert ? JSON.stringify(s.alert) : '');
        }
        const reply = asArray(await client.ewObserveV1(k.edges, k.outbox, k.alertIds, k.deliveries, k.counts, ...argv), 'observe');
        chunk.forEach((i, j) => {
          const [isNew, prev, seen, entryId] = reply.slice(4 * j, 4 * j + 4).map((v) => asString(v, 'observe'));
          outcomes[i] = { isNew: isNew === '1', previousSeenMs: optionalMs(prev), lastSeenMs: Number(seen), alerted: entryId !== '' };
          if (entryId !== '') enqueued.push({ index: i, shard, entryId, alertId: sightings[i].alert?.id ?? '' });
        });
      }
    }),
  );

  await Promise.all(enqueued.map((e) => ownAlertId(client, keys, outbox, e, outcomes)));
  return outcomes;
}

/**
 * Alert ids are unique per shard inside the script; across shards (the same id carried by two
 * edges, which real ids never are) alert-owner keeps the first and the later entry is retracted.
 */
async function ownAlertId(client: RedisClient, keys: RedisKeys, outbox: RedisOutbox, e: Enqueued, outcomes: ObserveOutcome[]): Promise<void> {
  const ownerKey = keys.shard(shardOf(e.alertId)).alertOwner;
  const mine = `${e.shard}:${e.entryId}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if ((await client.hsetnx(ownerKey, e.alertId, mine)) === 1) {
      outbox.remember(e.alertId, { shard: e.shard, entryId: e.entryId });
      return;
    }
    const owner = await client.hget(ownerKey, e.alertId);
    if (owner !== null) break; // owned by an entry elsewhere; null: pruned meanwhile, try again
  }
  const k = keys.shard(e.shard);
  await client.ewRetractV1(k.outbox, k.alertIds, k.deliveries, k.counts, e.entryId, e.alertId);
  outcomes[e.index] = { ...outcomes[e.index], alerted: false };
}
