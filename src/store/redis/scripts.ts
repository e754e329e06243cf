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
  ewObserveV1(edges: string, outbox: string, alertIds: string, deliveries: string, counts: string, ...argv: Arg[]): Promise<unknown>;
  ewEnqueueV1(outbox: string, alertIds: string, deliveries: string, counts: string, alertOwner: string, nowMs: Arg, sinksJson: string, alertId: string, draft: string, shard: Arg): Promise<unknown>;
  ewRetractV1(outbox: string, alertIds: string, deliveries: string, counts: string, entryId: string, alertId: string): Promise<unknown>;
  ewTouchScopeV1(scopes: string, scope: string, pointMs: Arg): Promise<unknown>;
  ewPruneV1(edges: string, outbox: string, alertIds: string, deliveries: string, counts: string, cutMs: Arg, cursor: string, limit: Arg): Promise<unknown>;
  ewClaimV1(outbox: string, due: string, deliveries: string, sink: string, consumer: string, max: Arg, leaseMs: Arg, nowMs: Arg): Promise<unknown>;
  ewSettleV1(outbox: string, due: string, deliveries: string, counts: string, ...argv: Arg[]): Promise<unknown>;
}

export type RedisClient = (Redis | Cluster) & ScriptCommands;

const SCRIPTS: { name: keyof ScriptCommands; file: string; keys: number }[] = [
  { name: 'ewObserveV1', file: 'observe.lua', keys: 5 },
  { name: 'ewEnqueueV1', file: 'enqueue.lua', keys: 5 },
  { name: 'ewRetractV1', file: 'retract.lua', keys: 4 },
  { name: 'ewTouchScopeV1', file: 'touch-scope.lua', keys: 1 },
  { name: 'ewPruneV1', file: 'prune.lua', keys: 5 },
  { name: 'ewClaimV1', file: 'claim.lua', keys: 3 },
  { name: 'ewSettleV1', file: 'settle.lua', keys: 4 },
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
