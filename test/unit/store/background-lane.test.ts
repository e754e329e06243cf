import { AdaptiveSlice, BackgroundLane, LaneClosedError } from '../../../src/store/background-lane';

describe('AdaptiveSlice', () => {
  it('aims at the target time, at most doubling or halving per slice', () => {
    const s = new AdaptiveSlice({ initial: 100, min: 10, max: 1000, targetMs: 4 });
    s.record(100, 8); // twice too slow
    expect(s.size).toBe(50);
    s.record(50, 0.5); // eight times too fast: only doubles
    expect(s.size).toBe(100);
    s.record(100, 100); // a pause: only halves
    expect(s.size).toBe(50);
    s.record(50, 4);
    expect(s.size).toBe(50);
  });

  it('stays within its bounds, and a short last slice teaches nothing', () => {
    const s = new AdaptiveSlice({ initial: 100, min: 40, max: 150, targetMs: 4 });
    for (let i = 0; i < 5; i++) s.record(s.size, 0);
    expect(s.size).toBe(150);
    for (let i = 0; i < 5; i++) s.record(s.size, 1000);
    expect(s.size).toBe(40);
    s.record(3, 1000);
    expect(s.size).toBe(40);
  });

  it('a fixed size (min = max) never changes', () => {
    const s = new AdaptiveSlice({ initial: 7, min: 7, max: 7 });
    s.record(7, 0);
    s.record(7, 1000);
    expect(s.size).toBe(7);
  });
});

describe('BackgroundLane', () => {
  it('runs slices one at a time, in the order queued, with the rest between them', async () => {
    const lane = new BackgroundLane({ maxRestMs: 2 });
    const log: string[] = [];
    let running = 0;
    const job = (name: string) => async (): Promise<string> => {
      expect(running).toBe(0);
      running++;
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, 1));
      log.push(`end ${name}`);
      running--;
      return name;
    };
    const results = await Promise.all([lane.run(job('a')), lane.run(job('b')), lane.run(() => 'c')]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
  });

  it('lets I/O queued during a slice run before the next slice (the rest is a timer, not a microtask)', async () => {
    const lane = new BackgroundLane({ maxRestMs: 5 });
    const order: string[] = [];
    const first = lane.run(() => {
      order.push('slice 1');
      setImmediate(() => order.push('intake')); // an export that arrived while the slice held the loop
    });
    const second = lane.run(() => order.push('slice 2'));
    await Promise.all([first, second]);
    expect(order).toEqual(['slice 1', 'intake', 'slice 2']);
  });

  it('a failed slice rejects only its own call', async () => {
    const lane = new BackgroundLane({ maxRestMs: 1 });
    const bad = lane.run(() => {
      throw new Error('boom');
    });
    const good = lane.run(() => 42);
    await expect(bad).rejects.toThrow('boom');
    await expect(good).resolves.toBe(42);
  });

  it('sliced() hands the slice its size and reports what it did', async () => {
    const lane = new BackgroundLane({ maxRestMs: 1 });
    const size = new AdaptiveSlice({ initial: 10, min: 10, max: 10 });
    const seen: number[] = [];
    let left = 25;
    while (left > 0) {
      const done = await lane.sliced(size, (rows) => {
        seen.push(rows);
        const n = Math.min(rows, left);
        left -= n;
        return n;
      });
      if (done < 10) break;
    }
    expect(seen).toEqual([10, 10, 10]);
    expect(left).toBe(0);
  });

  it('after close() queued slices fail with LaneClosedError and do not run', async () => {
    const lane = new BackgroundLane({ maxRestMs: 20 });
    let ran = 0;
    const first = lane.run(() => ran++);
    const queued = lane.run(() => ran++);
    await first;
    lane.close();
    await expect(queued).rejects.toBeInstanceOf(LaneClosedError);
    expect(ran).toBe(1);
  });
});
