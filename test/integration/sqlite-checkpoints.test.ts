import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { walBytes, type StoreLog } from '../../src/store/sqlite/wal-checkpointer';
import type { Sighting } from '../../src/store/store';

jest.setTimeout(30_000);

const W = 30 * 24 * 3_600_000;
const T0 = Date.UTC(2026, 11, 1);

function sightings(from: number, n: number, ms = T0): Sighting[] {
  const out: Sighting[] = [];
  for (let i = from; i < from + n; i++) out.push({ key: { scope: 'c', protocol: 'tcp', source: `src-${i}-${'x'.repeat(40)}`, dest: `dst-${i}` }, firstMs: ms, lastMs: ms });
  return out;
}

/** Polls `cond` (no time is asserted: the deadline only ends a test that would hang). */
async function until(cond: () => boolean, what: string, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not reached: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function collectingLog(): StoreLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (_o, m) => lines.push(`warn ${m}`), error: (_o, m) => lines.push(`error ${m}`) };
}

describe('SQLite WAL checkpoints in a worker thread', () => {
  let dir: string;
  let path: string;
  const stores: SqliteStore[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'edgewatch-ckpt-'));
    path = join(dir, 'edgewatch.db');
  });
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const open = async (opts: ConstructorParameters<typeof SqliteStore>[1] = {}, p = path): Promise<SqliteStore> => {
    const s = new SqliteStore(p, opts);
    stores.push(s);
    await s.init(['log']);
    return s;
  };

  it('the main connection does not checkpoint on commit; the worker copies the WAL back and truncates it', async () => {
    const log = collectingLog();
    // A long interval first: the WAL is seen to grow past SQLite's 1000-page auto-checkpoint.
    const store = await open({ log, checkpoint: { intervalMs: 200, truncateBytes: 256 * 1024 } });
    expect(store.walCheckpointer?.alive).toBe(true);
    let peak = 0;
    for (let i = 0; i < 20_000; i += 2000) {
      await store.observe(sightings(i, 2000), W);
      peak = Math.max(peak, walBytes(path));
    }
    expect(peak).toBeGreaterThan(256 * 1024);
    // A refresh of every edge, and a prune of half of them: both in background slices.
    await store.refresh(sightings(0, 20_000, T0 + 1000).map((s) => ({ key: s.key, lastMs: s.lastMs })));
    // Copied back in full (every frame checkpointed), and the file truncated once the writes
    // stop: the worker's TRUNCATE of an idle WAL larger than truncateBytes.
    await until(() => {
      const t = store.walCheckpointer?.last;
      return t !== undefined && t.busy === 0 && t.log === t.checkpointed && walBytes(path) <= 256 * 1024;
    }, 'the WAL copied back and truncated by the worker');
    expect(store.walCheckpointer?.last?.passes).toBeGreaterThanOrEqual(1);
    expect(await store.countEdges()).toBe(20_000);
    expect((await store.listEdges({ limit: 1 }))[0].lastSeenMs).toBe(T0 + 1000);
    // Everything the WAL held is in the database file: a connection that reads the file alone sees it.
    const ticks = store.walCheckpointer?.ticks ?? 0;
    await until(() => (store.walCheckpointer?.ticks ?? 0) > ticks, 'another checkpoint');
    expect(log.lines).toEqual([]);
  });

  it('close() stops the worker; a reopened store starts a new one', async () => {
    const store = await open({ checkpoint: { intervalMs: 50 } });
    const ckpt = store.walCheckpointer;
    expect(ckpt?.threadId).toEqual(expect.any(Number));
    await store.close();
    expect(ckpt?.alive).toBe(false);
    expect(ckpt?.threadId).toBeNull();
    expect(store.walCheckpointer).toBeNull();
    await store.init(['log']);
    expect(store.walCheckpointer?.alive).toBe(true);
    expect(store.walCheckpointer).not.toBe(ckpt);
    // The file was closed cleanly: another connection opens it and finds the schema.
    await store.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM edges').get()).toEqual({ n: 0 });
    db.close();
  });

  it('when the worker dies the store logs it, checkpoints on commit again and keeps working', async () => {
    const log = collectingLog();
    const store = await open({ log, checkpoint: { intervalMs: 50 } });
    await store.observe(sightings(0, 1000), W);
    await store.walCheckpointer?.kill();
    expect(store.walCheckpointer?.alive).toBe(false);
    expect(log.lines).toEqual(['error sqlite WAL checkpointer exited; back to checkpoints on commit']);
    // Auto-checkpoint (1000 pages, ~4 MB) bounds the WAL again: far more than that is written.
    let peak = 0;
    for (let i = 1000; i < 41_000; i += 2000) {
      await store.observe(sightings(i, 2000), W);
      peak = Math.max(peak, walBytes(path));
    }
    await store.refresh(sightings(0, 41_000, T0 + 5).map((s) => ({ key: s.key, lastMs: s.lastMs })));
    expect(await store.prune(T0 + 1)).toBe(0);
    expect(await store.prune(T0 + 6)).toBe(41_000);
    expect(await store.countEdges()).toBe(0);
    expect(peak).toBeLessThan(8 * 1024 * 1024); // 1000 pages of 4 KiB plus one batch; without checkpoints it would hold all of it
    await store.close();
  });

  it('no worker for :memory:, and none with checkpoint: false', async () => {
    const mem = await open({}, ':memory:');
    expect(mem.walCheckpointer).toBeNull();
    const off = await open({ checkpoint: false });
    expect(off.walCheckpointer).toBeNull();
    await off.observe(sightings(0, 10), W);
    expect(await off.countEdges()).toBe(10);
  });
});
