import { ALERT_STATES, ruleOrder, type AlertState, type AlertTriage, type StoredRule } from '../../core/triage';
import type { AlertStateUpdate } from '../store';
import { shardOf, type RedisKeys } from './keys';
import { asArray, asNumber, asString } from './replies';
import type { RedisClient } from './scripts';

/**
 * Alert states and stored rules on Redis: a state in `{p:N}:alert-states` of the alert id's
 * shard (beside its alert-owner record, so one script checks and writes); rules and their
 * version in shard 0 (keys.ts).
 */
export class RedisTriage {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
  ) {}

  async setAlertState(alertId: string, change: AlertTriage): Promise<AlertStateUpdate | null> {
    const k = this.keys.shard(shardOf(alertId));
    const reply = asArray(await this.client.ewSetAlertStateV1(k.alertOwner, k.alertStates, alertId, encodeTriage(change)), 'setAlertState');
    if (asNumber(reply[0], 'setAlertState') === 0) return null;
    return { before: decodeTriage(asString(reply[1], 'setAlertState')), after: { ...change } };
  }

  /** The states of many alerts, one HMGET per shard. */
  async statesOf(alertIds: readonly string[]): Promise<Map<string, AlertTriage | null>> {
    const byShard = new Map<number, string[]>();
    for (const id of new Set(alertIds)) {
      const shard = shardOf(id);
      const ids = byShard.get(shard);
      if (ids) ids.push(id);
      else byShard.set(shard, [id]);
    }
    const out = new Map<string, AlertTriage | null>();
    await Promise.all(
      [...byShard].map(async ([shard, ids]) => {
        const values = await this.client.hmget(this.keys.shard(shard).alertStates, ...ids);
        ids.forEach((id, i) => out.set(id, decodeTriage(values[i] ?? '')));
      }),
    );
    return out;
  }

  /** After prune dropped alerts: their states go too. */
  async forgetStates(alertIds: readonly string[]): Promise<void> {
    await Promise.all(alertIds.map((id) => this.client.hdel(this.keys.shard(shardOf(id)).alertStates, id)));
  }

  async putRule(rule: StoredRule): Promise<void> {
    const k = this.keys.rules();
    await this.client.ewPutRuleV1(k.rules, k.version, rule.id, JSON.stringify(rule));
  }

  async listRules(): Promise<StoredRule[]> {
    const all = await this.client.hgetall(this.keys.rules().rules);
    return Object.values(all)
      .map(decodeRule)
      .filter((r): r is StoredRule => r !== null)
      .sort(ruleOrder);
  }

  async deleteRule(ruleId: string): Promise<boolean> {
    const k = this.keys.rules();
    return asNumber(await this.client.ewDeleteRuleV1(k.rules, k.version, ruleId), 'deleteRule') === 1;
  }

  async rulesVersion(): Promise<number> {
    const v = await this.client.get(this.keys.rules().version);
    return v === null ? 0 : asNumber(v, 'rulesVersion');
  }
}

/** The value of `{p:N}:alert-states`: short keys, times in ms. */
function encodeTriage(t: AlertTriage): string {
  return JSON.stringify({ state: t.state, by: t.by, at: t.atMs, comment: t.comment, expires: t.expiresMs, rule: t.ruleId });
}

export function decodeTriage(text: string): AlertTriage | null {
  if (text === '') return null;
  const v = JSON.parse(text) as Record<string, unknown>;
  if (!ALERT_STATES.includes(v.state as AlertState) || typeof v.by !== 'string' || typeof v.at !== 'number') return null;
  return {
    state: v.state as AlertState,
    by: v.by,
    atMs: v.at,
    comment: typeof v.comment === 'string' ? v.comment : null,
    expiresMs: typeof v.expires === 'number' ? v.expires : null,
    ruleId: typeof v.rule === 'string' ? v.rule : null,
  };
}

/** A value of `{p:0}:rules` (a StoredRule as JSON); null for one not written by edgewatch. */
function decodeRule(text: string): StoredRule | null {
  try {
    const v = JSON.parse(text) as StoredRule;
    return typeof v.id === 'string' && typeof v.spec === 'object' && v.spec !== null ? v : null;
  } catch {
    return null;
  }
}
