import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Cluster, Redis } from 'ioredis';

type Arg = string | number;

/**
 * The Lua scripts as ioredis custom commands (EVALSHA, falling back to EVAL on NOSCRIPT, so a
 * restarted server gets them again by itself). Names carry a version: change a script's
 * contract, bump its name, and replicas of two releases never call each other's script.
 */
export interface ScriptCommands {
  ewObserveV3(edges: string, outbox: string, alertIds: string, deliveries: string, counts: string, parked: string, parkedAt: string, ...argv: Arg[]): Promise<unknown>;
  ewEnqueueV1(outbox: string, alertIds: string, deliveries: string, counts: string, alertOwner: string, nowMs: Arg, sinksJson: string, alertId: string, draft: string, shard: Arg): Promise<unknown>;
  ewRetractV1(outbox: string, alertIds: string, deliveries: string, counts: string, entryId: string, alertId: string): Promise<unknown>;
  ewTouchScopeV1(scopes: string, scope: string, pointMs: Arg): Promise<unknown>;
  ewPruneV1(edges: string, outbox: string, alertIds: string, deliveries: string, counts: string, cutMs: Arg, cursor: string, limit: Arg): Promise<unknown>;
  ewClaimV1(outbox: string, due: string, deliveries: string, sink: string, consumer: string, max: Arg, leaseMs: Arg, nowMs: Arg): Promise<unknown>;
  ewSettleV1(outbox: string, due: string, deliveries: string, counts: string, ...argv: Arg[]): Promise<unknown>;
  /** Variable keys: numkeys, then the keys, then ARGV (see the scripts' headers). */
  ewIndexEdgesV1(numKeys: number, ...keysAndArgv: Arg[]): Promise<unknown>;
  ewDeindexEdgesV1(numKeys: number, ...keysAndArgv: Arg[]): Promise<unknown>;
  ewPruneEdgesV1(edges: string, cutMs: Arg, ...members: string[]): Promise<unknown>;
  ewForgetLogV1(forgets: string, edgeId: string, keep: Arg): Promise<unknown>;
  ewSetAlertStateV1(alertOwner: string, alertStates: string, alertId: string, record: string): Promise<unknown>;
  ewPutRuleV1(rules: string, version: string, ruleId: string, rule: string): Promise<unknown>;
  ewDeleteRuleV1(rules: string, version: string, ruleId: string): Promise<unknown>;
  ewLeaseAcquireV1(lease: string, owner: string, ttlMs: Arg): Promise<unknown>;
  ewLeaseReleaseV1(lease: string, owner: string): Promise<unknown>;
  ewScanEdgesV1(edges: string, score: string, member: string, least: string, count: Arg): Promise<unknown>;
  ewStormBudgetV1(window: string, late: string, due: string, ...argv: Arg[]): Promise<unknown>;
  ewStormResolveV1(parked: string, parkedAt: string, outbox: string, alertIds: string, deliveries: string, counts: string, ...argv: Arg[]): Promise<unknown>;
  ewStormParkedV1(parkedAt: string, parked: string, minAgeMs: Arg, limit: Arg): Promise<unknown>;
  ewStormDueV1(due: string, graceMs: Arg, limit: Arg): Promise<unknown>;
  ewStormSummariseV1(window: string, due: string, outbox: string, alertIds: string, deliveries: string, counts: string, ...argv: Arg[]): Promise<unknown>;
  ewStormParkV1(alertIds: string, alertOwner: string, parked: string, parkedAt: string, guarded: string, ...argv: Arg[]): Promise<unknown>;
  ewTrafficAnomaliesV1(numKeys: number, ...keysAndArgv: Arg[]): Promise<unknown>;
  ewTrafficAnomaliesPruneV1(numKeys: number, ...keysAndArgv: Arg[]): Promise<unknown>;
  ewTrafficAddV1(moments: string, ...argv: Arg[]): Promise<unknown>;
  ewTrafficReadV1(moments: string, hour: Arg, decay: Arg, ...keyIds: string[]): Promise<unknown>;
  ewTrafficMomentsPruneV1(moments: string, cutHour: Arg, cursor: string, count: Arg): Promise<unknown>;
}

export type RedisClient = (Redis | Cluster) & ScriptCommands;

/** `keys` undefined: the call passes the number of keys first. */
const SCRIPTS: { name: keyof ScriptCommands; file: string; keys?: number }[] = [
  { name: 'ewObserveV3', file: 'observe.lua', keys: 7 },
  { name: 'ewEnqueueV1', file: 'enqueue.lua', keys: 5 },
  { name: 'ewRetractV1', file: 'retract.lua', keys: 4 },
  { name: 'ewTouchScopeV1', file: 'touch-scope.lua', keys: 1 },
  { name: 'ewPruneV1', file: 'prune.lua', keys: 5 },
  { name: 'ewClaimV1', file: 'claim.lua', keys: 3 },
  { name: 'ewSettleV1', file: 'settle.lua', keys: 4 },
  { name: 'ewIndexEdgesV1', file: 'index-edges.lua' },
  { name: 'ewDeindexEdgesV1', file: 'deindex-edges.lua' },
  { name: 'ewPruneEdgesV1', file: 'prune-edges.lua', keys: 1 },
  { name: 'ewForgetLogV1', file: 'forget-log.lua', keys: 1 },
  { name: 'ewSetAlertStateV1', file: 'set-alert-state.lua', keys: 2 },
  { name: 'ewPutRuleV1', file: 'put-rule.lua', keys: 2 },
  { name: 'ewDeleteRuleV1', file: 'delete-rule.lua', keys: 2 },
  { name: 'ewLeaseAcquireV1', file: 'lease-acquire.lua', keys: 1 },
  { name: 'ewLeaseReleaseV1', file: 'lease-release.lua', keys: 1 },
  { name: 'ewScanEdgesV1', file: 'scan-edges.lua', keys: 1 },
  { name: 'ewStormBudgetV1', file: 'storm-budget.lua', keys: 3 },
  { name: 'ewStormResolveV1', file: 'storm-resolve.lua', keys: 6 },
  { name: 'ewStormParkedV1', file: 'storm-parked.lua', keys: 2 },
  { name: 'ewStormDueV1', file: 'storm-due.lua', keys: 1 },
  { name: 'ewStormSummariseV1', file: 'storm-summarise.lua', keys: 6 },
  { name: 'ewStormParkV1', file: 'storm-park.lua', keys: 5 },
  { name: 'ewTrafficAnomaliesV1', file: 'traffic-anomalies.lua' },
  { name: 'ewTrafficAnomaliesPruneV1', file: 'traffic-anomalies-prune.lua' },
  { name: 'ewTrafficAddV1', file: 'traffic-add.lua', keys: 1 },
  { name: 'ewTrafficReadV1', file: 'traffic-read.lua', keys: 1 },
  { name: 'ewTrafficMomentsPruneV1', file: 'traffic-moments-prune.lua', keys: 1 },
];

/**
 * The lua/ folder: next to this file when running from src (ts-jest, ts-node); the build
 * (dist/store/redis) does not copy .lua files, and the package ships src/store/redis/lua.
 */
function luaDir(): string {
  const candidates = [join(__dirname, 'lua'), resolve(__dirname, '../../../src/store/redis/lua')];
  const found = candidates.find((dir) => existsSync(join(dir, 'observe.lua')));
  if (!found) throw new Error(`Lua scripts of the Redis store not found in ${candidates.join(' or ')}`);
  return found;
}

let cache: Map<string, string> | null = null;

function sources(): Map<string, string> {
  if (cache) return cache;
  const dir = luaDir();
  cache = new Map(SCRIPTS.map((s) => [s.file, readFileSync(join(dir, s.file), 'utf8')]));
  return cache;
}

export function defineScripts(client: Redis | Cluster): RedisClient {
  const lua = sources();
  for (const s of SCRIPTS) client.defineCommand(s.name, { numberOfKeys: s.keys, lua: lua.get(s.file) ?? '' });
  return client as RedisClient;
}
