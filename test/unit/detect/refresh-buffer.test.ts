import type { EdgeKey } from '../../../src/core/edge';
import { RefreshBuffer } from '../../../src/detect/refresh-buffer';
import { MemoryStore } from '../../../src/store/memory/memory-store';
import type { EdgeRefresh } from '../../../src/store/store';

const lanes = (...h: number[]): Int32Array => Int32Array.from(h);

/** A MemoryStore whose refresh can be made to fail, recording what each refresh call carried. */
class RecordingStore extends MemoryStore {
  calls: Array<Array<{ key: EdgeKey; lastMs: number }>> = [];
  failNext = false;
  override async refresh(updates: EdgeRefresh[]): Promise<void> {
    this.calls.push(updates.map((u) => ({ key: { ...u.key }, lastMs: u.lastMs })));
    if (this.failNext) {
      this.failNext = false;
      throw new Error('store down');
    }
    return super.refresh(updates);
  }
}

/** A refresh only raises edges the store holds: record these first (last seen at 1 ms). */
async function seed(store: MemoryStore, scope: string, protocol: 'tcp' | 'udp', pairs: Array<[string, string]>): Promise<void> {
  await store.observe(pairs.map(([source, dest]) => ({ key: { scope, protocol, source, dest }, firstMs: 1, lastMs: 1 })), 30 * 86_400_000);
}

async function lastSeen(store: MemoryStore): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of await store.listEdges({ limit: 100 })) out[`${e.key.source}>${e.key.dest}`] = e.lastSeenMs;
  return out;
}

describe('refresh buffer', () => {
  test('coalesces points of one edge to the latest time, one store call per flush', async () => {
    const store = new RecordingStore();
    const buf = new RefreshBuffer(store);
    buf.add(lanes(1, 2, 3, 4), 'c', 'tcp', 'a', 'b', 100);
    buf.add(lanes(1, 2, 3, 4), 'c', 'tcp', 'a', 'b', 300);
    buf.add(lanes(1, 2, 3, 4), 'c', 'tcp', 'a', 'b', 200);
    expect(buf.size).toBe(1);
    await buf.flush();
    expect(store.calls).toEqual([[{ key: { scope: 'c', protocol: 'tcp', source: 'a', dest: 'b' }, lastMs: 300 }]]);
    expect(buf.size).toBe(0);
    await buf.flush(); // nothing pending: no store call
    expect(store.calls).toHaveLength(1);
  });

  test('edges whose hashes share lane 0 stay apart (all four lanes decide)', async () => {
    const store = new RecordingStore();
    await seed(store, 'c', 'tcp', [['a', 'x'], ['a', 'y'], ['a', 'z']]);
    const buf = new RefreshBuffer(store);
    buf.add(lanes(7, 1, 1, 1), 'c', 'tcp', 'a', 'x', 10);
    buf.add(lanes(7, 1, 1, 2), 'c', 'tcp', 'a', 'y', 20);
    buf.add(lanes(7, 1, 2, 1), 'c', 'tcp', 'a', 'z', 30);
    buf.add(lanes(7, 1, 1, 2), 'c', 'tcp', 'a', 'y', 25);
    expect(buf.size).toBe(3);
    await buf.flush();
    expect(await lastSeen(store)).toEqual({ 'a>x': 10, 'a>y': 25, 'a>z': 30 });
  });

  test('delete drops one edge from a shared chain, wherever it sits in it', async () => {
    for (const victim of [0, 1, 2]) {
      const store = new RecordingStore();
      await seed(store, 'c', 'udp', [['a', 'd0'], ['a', 'd1'], ['a', 'd2']]);
      const buf = new RefreshBuffer(store);
      for (let i = 0; i < 3; i++) buf.add(lanes(5, i, 0, 0), 'c', 'udp', 'a', `d${i}`, 100 + i);
      buf.delete(lanes(5, victim, 0, 0));
      buf.delete(lanes(5, 9, 0, 0)); // not pending: no effect
      expect(buf.size).toBe(2);
      await buf.flush();
      const seen = await lastSeen(store);
      expect(['a>d0', 'a>d1', 'a>d2'].map((k) => seen[k])).toEqual([0, 1, 2].map((i) => (i === victim ? 1 : 100 + i)));
    }
  });

  test('a failed flush keeps its entries, merged with newer ones, for the next flush', async () => {
    const store = new RecordingStore();
    await seed(store, 'c', 'tcp', [['a', 'b'], ['a', 'c']]);
    const buf = new RefreshBuffer(store);
    buf.add(lanes(1, 1, 1, 1), 'c', 'tcp', 'a', 'b', 100);
    buf.add(lanes(2, 2, 2, 2), 'c', 'tcp', 'a', 'c', 500);
    store.failNext = true;
    const failed = buf.flush();
    // Arrives while the failing flush runs: newer for a>b, older for a>c.
    buf.add(lanes(1, 1, 1, 1), 'c', 'tcp', 'a', 'b', 200);
    buf.add(lanes(2, 2, 2, 2), 'c', 'tcp', 'a', 'c', 400);
    await expect(failed).rejects.toThrow('store down');
    expect(buf.size).toBe(2);
    await buf.flush();
    expect(await lastSeen(store)).toEqual({ 'a>b': 200, 'a>c': 500 });
  });

  test('concurrent flushes share one store call', async () => {
    const store = new RecordingStore();
    const buf = new RefreshBuffer(store);
    buf.add(lanes(1, 1, 1, 1), 'c', 'tcp', 'a', 'b', 100);
    await Promise.all([buf.flush(), buf.flush()]);
    expect(store.calls).toHaveLength(1);
  });

  test('a flush called while one runs also writes what arrived meanwhile (shutdown after the timer)', async () => {
    const store = new RecordingStore();
    await seed(store, 'c', 'tcp', [['a', 'b'], ['a', 'c']]);
    const buf = new RefreshBuffer(store);
    buf.add(lanes(1, 1, 1, 1), 'c', 'tcp', 'a', 'b', 100);
    const timer = buf.flush();
    buf.add(lanes(2, 2, 2, 2), 'c', 'tcp', 'a', 'c', 300);
    await buf.flush();
    expect(buf.size).toBe(0);
    expect(await lastSeen(store)).toEqual({ 'a>b': 100, 'a>c': 300 });
    await timer;
    expect(store.calls).toHaveLength(2);
  });
});
