import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { ConfigError, EdgewatchError, StoreUnavailableError } from '../../core/errors';
import { defineScripts, type RedisClient } from './scripts';
import type { RedisTarget } from './url';

/** Tuning of the connection; the defaults fit the service (fail fast, reconnect for ever). */
export interface ConnectionOptions {
  /** Bound of one command, so a hung server (not a closed socket) cannot hang a request. */
  commandTimeoutMs: number;
  connectTimeoutMs: number;
  /** Longest pause between reconnection attempts. */
  maxReconnectDelayMs: number;
}

export const DEFAULT_CONNECTION: ConnectionOptions = { commandTimeoutMs: 5_000, connectTimeoutMs: 2_000, maxReconnectDelayMs: 1_000 };

/**
 * An ioredis client with the scripts defined. No offline queue and no replay of commands that
 * were in flight when a connection dropped: while Redis is unreachable every call fails at once
 * (the receivers answer UNAVAILABLE and the collector retries), and a script is never run twice
 * behind the caller's back. Reconnection never stops, so the store recovers by itself.
 */
export function createClient(target: RedisTarget, opts: ConnectionOptions = DEFAULT_CONNECTION): RedisClient {
  const retryStrategy = (times: number): number => Math.min(50 * 2 ** Math.min(times, 10), opts.maxReconnectDelayMs);
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs,
    connectTimeout: opts.connectTimeoutMs,
    // ioredis arms this timer on disconnect even for a socket that is already closed.
    disconnectTimeout: 500,
    username: target.username,
    password: target.password,
  };
  let client: Redis | Cluster;
  if (target.kind === 'standalone') {
    client = new Redis({ ...common, host: target.host, port: target.port, db: target.db, tls: target.tls ? {} : undefined, retryStrategy });
  } else if (target.kind === 'sentinel') {
    client = new Redis({ ...common, sentinels: target.sentinels, name: target.name, db: target.db, retryStrategy, sentinelRetryStrategy: retryStrategy });
  } else {
    const { lazyConnect: _l, enableOfflineQueue: _e, ...redisOptions } = common;
    client = new Cluster(target.nodes, {
      lazyConnect: true,
      enableOfflineQueue: false,
      clusterRetryStrategy: retryStrategy,
      slotsRefreshTimeout: opts.connectTimeoutMs,
      redisOptions: { ...redisOptions, tls: target.tls ? {} : undefined },
    });
  }
  // Errors reach callers as rejections; without a listener ioredis would print each reconnect failure.
  client.on('error', () => undefined);
  return defineScripts(client);
}

/** Connects a fresh client, or waits (up to the timeout) for one that is reconnecting. */
export async function ensureReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  if (client.status === 'wait') {
    await client.connect();
    return;
  }
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady);
      reject(new StoreUnavailableError(`redis not ready after ${timeoutMs} ms (status ${client.status})`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    client.once('ready', onReady);
  });
}

/** PING the server, or every master of a cluster. */
export async function pingAll(client: RedisClient): Promise<void> {
  if (client.status !== 'ready') throw new StoreUnavailableError(`redis is not connected (status ${client.status})`);
  if (client instanceof Cluster) {
    const masters = client.nodes('master');
    if (masters.length === 0) throw new StoreUnavailableError('redis cluster has no reachable master');
    await Promise.all(masters.map((n) => n.ping()));
  } else {
    await client.ping();
  }
}

/** The scripts need Redis 6.2 or newer (ZADD GT); say so at start rather than fail in a script. */
export async function checkServerVersion(client: RedisClient): Promise<void> {
  const nodes: Redis[] = client instanceof Cluster ? client.nodes('master') : [client as Redis];
  for (const node of nodes) {
    const v = /redis_version:(\d+)\.(\d+)/.exec(await node.info('server'));
    if (v && Number(v[1]) * 100 + Number(v[2]) < 602) throw new ConfigError('store', 'Redis 6.2 or newer', `Redis ${v[1]}.${v[2]}`);
  }
}

/** Closes gracefully (QUIT), or drops the connection when the server does not answer. */
export async function closeClient(client: RedisClient): Promise<void> {
  if (client.status !== 'ready') {
    client.disconnect(); // QUIT cannot be sent without a connection (no offline queue)
    return;
  }
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/**
 * Maps a failure of a Redis call. Connection trouble and server refusals (OOM, LOADING,
 * READONLY, CLUSTERDOWN, TRYAGAIN, MASTERDOWN, ...) are StoreUnavailableError, retryable at the
 * boundary. An error raised inside one of our scripts is a bug and stays a plain Error.
 */
export function toStoreError(op: string, err: unknown): Error {
  if (err instanceof EdgewatchError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.name === 'ReplyError' && /user_script|Error running script/i.test(e.message)) {
    return new Error(`redis ${op} failed in a script: ${e.message}`, { cause: e });
  }
  if (e instanceof TypeError || e instanceof RangeError) return e;
  return new StoreUnavailableError(`redis ${op} failed: ${e.message}`, e);
}
