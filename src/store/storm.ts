import type { AlertDraft } from '../core/alert';
import type { Protocol } from '../core/observation';

/**
 * The storm guard's policy, applied by the store inside `observe` (README "Storm guard"): at most
 * `maxPerWindow` alerts per cluster (the draft's `cluster`) per window, across every process on
 * the store. Windows are aligned to the epoch on the store's clock, so replicas share them.
 */
export interface StormPolicy {
  /** Alerts per cluster per window at most; ≥ 1. */
  maxPerWindow: number;
  /** Window length (60 000 for storm_max_alerts_per_minute). */
  windowMs: number;
  /**
   * Tests only: on a store that decides in steps (Redis), stop after the first one, as a crash
   * would, leaving the alert parked for `sweepStorm`. Stores deciding in one transaction ignore it.
   */
  parkOnly?: boolean;
}

/** The held-back edges of one cluster in one window, as the store recorded them. */
export interface StormWindow {
  cluster: string;
  windowStartMs: number;
  windowEndMs: number;
  /** When the first edge of the window was held back (store clock): the summary's first_seen. */
  firstMs: number;
  byProtocol: Partial<Record<Protocol, number>>;
}

/** Builds a window's summary alert; its id must depend on cluster and window only (one summary each). */
export type StormSummaryBuilder = (w: StormWindow) => AlertDraft;

/** What a sweep finished: parked alerts enqueued, and parked edges held back. */
export interface StormSweepResult {
  alerted: number;
  heldBack: number;
}

/**
 * How long a window's bookkeeping outlives the window (Redis key TTL): every replica down for
 * longer than this loses the summary of a window that ended meanwhile. SQLite and memory keep
 * windows until prune (the baseline window).
 */
export const STORM_RETAIN_MS = 24 * 3_600_000;

/** Start of the epoch-aligned window holding `ms`. */
export function stormWindowStart(ms: number, windowMs: number): number {
  return ms - (((ms % windowMs) + windowMs) % windowMs);
}

/** Sum of the per-protocol counts. */
export function heldTotal(byProtocol: Partial<Record<Protocol, number>>): number {
  return Object.values(byProtocol).reduce<number>((a, b) => a + (b ?? 0), 0);
}
