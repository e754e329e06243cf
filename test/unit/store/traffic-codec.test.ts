import { decodeTrafficState, encodeTrafficState } from '../../../src/store/sqlite/traffic-codec';
import { addMoments, emptyState, foldState, latestHour, type TrafficState } from '../../../src/store/traffic-state';

const snapshot = (s: TrafficState) => ({ anchor: s.anchor, metrics: [...s.metrics].map(([name, ms]) => ({ name, base: ms.base, slots: [...ms.slots] })) });

describe('SQLite traffic state blob', () => {
  it('round-trips every double bit for bit, names of any bytes, with and without anchor and base', () => {
    const s = emptyState();
    expect(snapshot(decodeTrafficState(encodeTrafficState(s)))).toEqual(snapshot(s));
    addMoments(s, 491_000, 'tcp.bytes', { n: 120, sum: 0.1 + 0.2, sumSq: 1e308 });
    addMoments(s, 491_001, 'tcp.bytes', { n: 1 / 3, sum: -0, sumSq: 5e-324 });
    addMoments(s, 490_999, 'mëtric|名前 🚀\u0000', { n: 2, sum: Number.MAX_SAFE_INTEGER + 2, sumSq: 2 ** 70 });
    expect(snapshot(decodeTrafficState(encodeTrafficState(s)))).toEqual(snapshot(s));
    expect(foldState(s, 491_001, Math.exp(-1 / 360))).toBe(true);
    expect(s.anchor).toBe(491_001);
    const back = decodeTrafficState(encodeTrafficState(s));
    expect(snapshot(back)).toEqual(snapshot(s));
    expect(Object.is(back.metrics.get('tcp.bytes')?.slots.get(491_001)?.sum, -0)).toBe(true);
    expect(latestHour(back)).toBe(491_001);
  });

  it('rejects a blob of another version', () => {
    const buf = encodeTrafficState(emptyState());
    buf[0] = 9;
    expect(() => decodeTrafficState(buf)).toThrow(/unknown version 9/);
  });
});
