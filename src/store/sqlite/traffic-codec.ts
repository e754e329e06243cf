import type { Moments } from '../../core/traffic';
import type { MetricState, TrafficState } from '../traffic-state';

/**
 * The `state` blob of table `traffic` (migration v7): a TrafficState with every number a
 * little-endian float64, so nothing is rounded. Layout (version 1):
 *
 *   u8 version = 1 | u8 has anchor | i32 anchor hour | u16 metric count, then per metric:
 *   u16 name bytes | name (UTF-8) | u8 has base | [f64 n, f64 sum, f64 sumSq] |
 *   u32 slot count | per slot: i32 hour, f64 n, f64 sum, f64 sumSq
 *
 * About 95 bytes per key-metric with a base and two pending hours (the name is most of the rest).
 */
const VERSION = 1;
const MOMENTS_BYTES = 24;

export function encodeTrafficState(state: TrafficState): Buffer {
  const names = [...state.metrics.keys()].map((m) => Buffer.from(m, 'utf8'));
  let size = 1 + 1 + 4 + 2;
  let i = 0;
  for (const ms of state.metrics.values()) {
    if (names[i].length > 0xffff) throw new RangeError(`traffic metric name longer than 65535 bytes: ${names[i].length}`);
    size += 2 + names[i].length + 1 + (ms.base ? MOMENTS_BYTES : 0) + 4 + ms.slots.size * (4 + MOMENTS_BYTES);
    i++;
  }
  if (state.metrics.size > 0xffff) throw new RangeError(`more than 65535 traffic metrics on one key`);
  const buf = Buffer.allocUnsafe(size);
  let o = buf.writeUInt8(VERSION, 0);
  o = buf.writeUInt8(state.anchor === null ? 0 : 1, o);
  o = buf.writeInt32LE(state.anchor ?? 0, o);
  o = buf.writeUInt16LE(state.metrics.size, o);
  i = 0;
  for (const ms of state.metrics.values()) {
    const name = names[i++];
    o = buf.writeUInt16LE(name.length, o);
    o += name.copy(buf, o);
    o = buf.writeUInt8(ms.base ? 1 : 0, o);
    if (ms.base) o = writeMoments(buf, o, ms.base);
    o = buf.writeUInt32LE(ms.slots.size, o);
    for (const [hour, m] of ms.slots) {
      o = buf.writeInt32LE(hour, o);
      o = writeMoments(buf, o, m);
    }
  }
  return buf;
}

export function decodeTrafficState(buf: Buffer): TrafficState {
  if (buf.readUInt8(0) !== VERSION) throw new Error(`traffic state of unknown version ${buf.readUInt8(0)}`);
  const hasAnchor = buf.readUInt8(1) === 1;
  const anchor = buf.readInt32LE(2);
  const count = buf.readUInt16LE(6);
  let o = 8;
  const metrics = new Map<string, MetricState>();
  for (let i = 0; i < count; i++) {
    const len = buf.readUInt16LE(o);
    const name = buf.toString('utf8', o + 2, o + 2 + len);
    o += 2 + len;
    const hasBase = buf.readUInt8(o) === 1;
    o += 1;
    let base: Moments | null = null;
    if (hasBase) {
      base = readMoments(buf, o);
      o += MOMENTS_BYTES;
    }
    const slotCount = buf.readUInt32LE(o);
    o += 4;
    const slots = new Map<number, Moments>();
    for (let s = 0; s < slotCount; s++) {
      slots.set(buf.readInt32LE(o), readMoments(buf, o + 4));
      o += 4 + MOMENTS_BYTES;
    }
    metrics.set(name, { base, slots });
  }
  return { anchor: hasAnchor ? anchor : null, metrics };
}

function writeMoments(buf: Buffer, o: number, m: Moments): number {
  buf.writeDoubleLE(m.n, o);
  buf.writeDoubleLE(m.sum, o + 8);
  buf.writeDoubleLE(m.sumSq, o + 16);
  return o + MOMENTS_BYTES;
}

function readMoments(buf: Buffer, o: number): Moments {
  return { n: buf.readDoubleLE(o), sum: buf.readDoubleLE(o + 8), sumSq: buf.readDoubleLE(o + 16) };
}
