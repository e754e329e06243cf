/**
 * Edges in a running edgewatch's store, read by the benchmark itself (not from what it sent, nor
 * from edgewatch's own counters): `SELECT count(*)` on the SQLite file (read-only, beside the
 * service's writer under WAL), ZCARD of every shard's edge set on Redis.
 */
import Database from 'better-sqlite3';
import Redis from 'ioredis';
import { RedisKeys } from '../src/store/redis/keys';

export interface EdgeCounter {
  count(): Promise<number>;
  close(): Promise<void>;
}

/** `store` as EDGEWATCH_STORE takes it: `sqlite:PATH` or `redis://host:port` (key prefix `ew`). */
export function edgeCounter(store: string): EdgeCounter {
  if (store.startsWith('sqlite:')) {
    const db = new Database(store.slice('sqlite:'.length), { readonly: true, fileMustExist: true });
    const st = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM edges');
    return {
      count: async () => st.get()?.n ?? 0,
      close: async () => void db.close(),
    };
  }
  const client = new Redis(store, { lazyConnect: false, maxRetriesPerRequest: 2 });
  const keys = new RedisKeys('ew');
  return {
    count: async () => (await Promise.all(keys.all().map((k) => client.zcard(k.edges)))).reduce((a, b) => a + b, 0),
    close: async () => void (await client.quit()),
  };
}
