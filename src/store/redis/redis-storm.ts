/**
 * The storm guard on Redis: a cap per cluster per window across every replica, exact and
 * crash-safe, although one Lua script may touch one hash slot only. An edge's "new" decision
 * runs in the edge's shard; its cluster's counter lives in the cluster's shard. So a new edge's
 * alert is decided in three steps, each atomic and idempotent by alert id:
 *
 *   1. observe.lua (edge shard), in the same script that records the edge new: the alert is not
 *      enqueued but parked (draft, prev, window start from the server's TIME, created).
 *   2. storm-budget.lua (counter shard): decide once per alert id — 'alert' while the window's
 *      cap lasts, else held back: counted per protocol with the first time, and the window
 *      indexed for its summary. The decision is stored by alert id; a held-back edge decided
 *      after its window was summarised counts in a later window instead, so none is lost.
 *   3. storm-resolve.lua (edge shard): enqueue the parked alert (as observe.lua would) or drop
 *      it, and remove the park.
 *
 * A crash between steps leaves a park behind; every replica's sweeper (StormGuard's tick) re-runs
 * steps 2 and 3 for parks older than a few seconds. Re-running is harmless: step 2 returns the
 * stored decision, step 3 does nothing for an id no longer parked. Summaries: any replica lists
 * the windows that ended (plus a grace, on the counter shard's clock) and writes each summary
 * with storm-summarise.lua, a compare-and-set on the window's held-back total that also marks it
 * summarised: one summary per cluster per window, whoever writes it.
 */
import type { AlertDraft } from '../../core/alert';
import type { Protocol } from '../../core/observation';
import { STORM_RETAIN_MS, stormWindowStart, type StormPolicy, type StormSummaryBuilder, type StormSweepResult } from '../storm';
import { shardOf, type RedisKeys } from './keys';
import type { RedisOutbox } from './redis-outbox';
import { asArray, asString } from './replies';
import type { RedisClient } from './scripts';

/** An alert parked by observe.lua (step 1), waiting for steps 2 and 3. */
export interface Parked {
  alertId: string;
  /** The edge's shard (where the park is). */
  shard: number;
  cluster: string;
  protocol: Protocol;
  windowStartMs: number;
  windowMs: number;
  max: number;
  parkedAtMs: number;
}

/** What steps 2 and 3 made of a park: its alert enqueued here, held back, or nothing (done elsewhere, or retry later). */
export type ParkResult = 'alerted' | 'held' | 'none';

const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp'];
/** Alerts per budget or resolve call, parks per sweep page, due windows per summarise call. */
const CHUNK = 500;
const SWEEP_PAGE = 200;
const SWEEP_PAGES = 10;
const DUE_PAGE = 100;
/** Compare-and-set attempts of one summary before leaving the window to the next tick. */
const SUMMARY_ATTEMPTS = 3;

type OwnAlertId = (shard: number, entryId: string, alertId: string) => Promise<boolean>;

export class RedisStorm {
  /** Per cluster, cap and window length: the latest window a budget call held an alert back in (spent). */
  private readonly spent = new Map<string, number>();

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly outbox: RedisOutbox,
    /** Claims an enqueued alert id in alert-owner (false: owned elsewhere, entry taken back). */
    private readonly ownAlertId: OwnAlertId,
  ) {}

  /**
   * The start of the latest window of `cluster` (under `policy`) in which a budget call held an
   * alert back: its granted count had reached the cap, and it only grows, so every later alert
   * parked in that window is held back (observe parks those without their drafts).
   */
  spentWindow(cluster: string, policy: StormPolicy): number | undefined {
    return this.spent.get(`${policy.maxPerWindow}|${policy.windowMs}|${cluster}`);
  }

  /** Steps 2 and 3 for `parked`; results by alert id. */
  async decide(parked: Parked[]): Promise<Map<string, ParkResult>> {
    const results = new Map<string, ParkResult>();
    if (parked.length === 0) return results;
    const decisions = await this.budget(parked);
    const byShard = new Map<number, Parked[]>();
    for (const p of parked) {
      const d = decisions.get(p.alertId);
      if (d === undefined) {
        results.set(p.alertId, 'none'); // 'retry': stays parked for the sweeper
        continue;
      }
      const list = byShard.get(p.shard);
      if (list) list.push(p);
      else byShard.set(p.shard, [p]);
    }
    await Promise.all(
      [...byShard].map(async ([shard, list]) => {
        const k = this.keys.shard(shard);
        for (let c = 0; c < list.length; c += CHUNK) {
          const chunk = list.slice(c, c + CHUNK);
          const argv = chunk.flatMap((p) => [p.alertId, decisions.get(p.alertId) ?? 'held']);
          const reply = asArray(await this.client.ewStormResolveV1(k.stormParked, k.stormParkedAt, k.outbox, k.alertIds, k.deliveries, k.counts, ...argv), 'storm resolve');
          await Promise.all(
            chunk.map(async (p, j) => {
              const r = asString(reply[j], 'storm resolve');
              if (r === 'held') results.set(p.alertId, 'held');
              else if (r !== '' && (await this.ownAlertId(shard, r, p.alertId))) results.set(p.alertId, 'alerted');
              else results.set(p.alertId, 'none');
            }),
          );
        }
      }),
    );
    return results;
  }

  /** Re-runs steps 2 and 3 for parks at least `minAgeMs` old (their replica crashed between steps). */
  async sweep(minAgeMs: number): Promise<StormSweepResult> {
    const total: StormSweepResult = { alerted: 0, heldBack: 0 };
    await Promise.all(
      this.keys.all().map(async (k) => {
        for (let page = 0; page < SWEEP_PAGES; page++) {
          const flat = asArray(await this.client.ewStormParkedV1(k.stormParkedAt, k.stormParked, minAgeMs, SWEEP_PAGE), 'storm parked').map((v) => asString(v, 'storm parked'));
          const parked: Parked[] = [];
          for (let i = 0; i + 1 < flat.length; i += 2) parked.push(parseParkRecord(flat[i], k.shard, flat[i + 1]));
          for (const r of (await this.decide(parked)).values()) {
            if (r === 'alerted') total.alerted++;
            if (r === 'held') total.heldBack++;
          }
          if (parked.length < SWEEP_PAGE) break;
        }
      }),
    );
    return total;
  }

  /** Summaries of the windows that ended `graceMs` ago, in every counter shard; returns those enqueued. */
  async summarise(graceMs: number, build: StormSummaryBuilder, sinks: readonly string[]): Promise<AlertDraft[]> {
    const perShard = await Promise.all(
      this.keys.all().map(async (k) => {
        const due = asArray(await this.client.ewStormDueV1(k.stormDue, graceMs, DUE_PAGE), 'storm due').map((v) => asString(v, 'storm due'));
        const enqueued: AlertDraft[] = [];
        for (const member of due) {
          const draft = await this.summariseWindow(k.shard, member, build, sinks);
          if (draft) enqueued.push(draft);
        }
        return enqueued;
      }),
    );
    return perShard.flat();
  }

  /** The summary this call enqueued for the window `member`, or null (done elsewhere, gone, or left to the next tick). */
  private async summariseWindow(shard: number, member: string, build: StormSummaryBuilder, sinks: readonly string[]): Promise<AlertDraft | null> {
    const bar = member.indexOf('|');
    const startMs = Number(member.slice(0, bar));
    const cluster = member.slice(bar + 1);
    const k = this.keys.shard(shard);
    const key = this.keys.stormWindow(cluster, startMs);
    for (let attempt = 0; attempt < SUMMARY_ATTEMPTS; attempt++) {
      const [end, first, held, ...perProtocol] = await this.client.hmget(key, 'end', 'first', 'held', ...PROTOCOLS.map((p) => `h:${p}`));
      const byProtocol: Partial<Record<Protocol, number>> = {};
      PROTOCOLS.forEach((p, i) => {
        const n = Number(perProtocol[i] ?? 0);
        if (n > 0) byProtocol[p] = n;
      });
      const endMs = Number(end ?? startMs);
      const draft = build({ cluster, windowStartMs: startMs, windowEndMs: endMs, firstMs: Number(first ?? startMs), byProtocol });
      // A window gone (expired) or summarised already: the script drops it from storm-due.
      const reply = asString(
        await this.client.ewStormSummariseV1(key, k.stormDue, k.outbox, k.alertIds, k.deliveries, k.counts, member, held ?? '0', draft.id, JSON.stringify(draft), JSON.stringify(sinks), Date.now()),
        'storm summarise',
      );
      if (reply === 'changed') continue;
      return reply !== '' && (await this.ownAlertId(shard, reply, draft.id)) ? draft : null;
    }
    return null;
  }

  /** Step 2: one budget call per cluster and parked window. Decisions by alert id ('retry' left out). */
  private async budget(parked: Parked[]): Promise<Map<string, 'alert' | 'held'>> {
    const groups = new Map<string, Parked[]>();
    for (const p of parked) {
      const g = `${p.windowStartMs}|${p.windowMs}|${p.max}|${p.cluster}`;
      const list = groups.get(g);
      if (list) list.push(p);
      else groups.set(g, [p]);
    }
    const decisions = new Map<string, 'alert' | 'held'>();
    await Promise.all(
      [...groups.values()].map(async (list) => {
        const { cluster, windowStartMs: w, windowMs, max } = list[0];
        // A later window for edges decided after W's summary: the current one, at least W's next.
        const late = Math.max(stormWindowStart(Date.now(), windowMs), w + windowMs);
        const k = this.keys.shard(shardOf(cluster));
        for (let c = 0; c < list.length; c += CHUNK) {
          const chunk = list.slice(c, c + CHUNK);
          const argv = chunk.flatMap((p) => [p.alertId, p.protocol, p.parkedAtMs]);
          const reply = asArray(
            await this.client.ewStormBudgetV1(this.keys.stormWindow(cluster, w), this.keys.stormWindow(cluster, late), k.stormDue, cluster, max, w, w + windowMs, late, late + windowMs, STORM_RETAIN_MS, ...argv),
            'storm budget',
          );
          chunk.forEach((p, j) => {
            const d = asString(reply[j], 'storm budget');
            if (d === 'alert') decisions.set(p.alertId, 'alert');
            else if (d.startsWith('held')) {
              decisions.set(p.alertId, 'held');
              const key = `${max}|${windowMs}|${cluster}`;
              if ((this.spent.get(key) ?? -Infinity) < w) this.spent.set(key, w);
            }
          });
        }
      }),
    );
    return decisions;
  }
}

/** A park record as observe.lua wrote it (JSON, numbers as strings). */
function parseParkRecord(alertId: string, shard: number, raw: string): Parked {
  const r = JSON.parse(raw) as Record<string, string>;
  return {
    alertId,
    shard,
    cluster: r.cluster,
    protocol: r.protocol as Protocol,
    windowStartMs: Number(r.window),
    windowMs: Number(r.window_ms),
    max: Number(r.max),
    parkedAtMs: Number(r.parked_at),
  };
}
