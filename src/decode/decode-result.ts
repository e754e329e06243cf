import type { DecodeResult, DropReason } from '../core/observation';

export const newDecodeResult = (): DecodeResult => ({ observations: [], dropped: {}, pointsTotal: 0 });

export function drop(result: DecodeResult, reason: DropReason): void {
  result.dropped[reason] = (result.dropped[reason] ?? 0) + 1;
}

/** DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK. */
export const FLAG_NO_RECORDED_VALUE = 1;

/**
 * floor(nanos / 1e6) of the unsigned 64-bit nanos hi·2³² + lo, exactly and without BigInt:
 * 2³² = 4294·10⁶ + 967296, and hi·967296 + lo stays below 2⁵³, so every step is exact.
 */
export function nanosToMs(lo: number, hi: number): number {
  const rest = hi * 967296 + lo;
  const restMs = (rest - (rest % 1e6)) / 1e6;
  return hi * 4294 + restMs;
}
