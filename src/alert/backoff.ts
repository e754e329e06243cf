export interface BackoffOptions {
  /** Ceiling of the first retry's delay. */
  baseMs: number;
  /** Largest ceiling, however many attempts failed. */
  capMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ baseMs: 500, capMs: 5 * 60_000 });

/**
 * Delay before retrying after the `attempt`-th failed attempt (1-based): exponential backoff with
 * full jitter, uniform in [0, min(cap, base·2^(attempt−1))), so that many alerts failing together
 * (a webhook outage) do not come back together. A server's Retry-After is a floor, never cut by
 * the cap: the server knows better than our guess.
 */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions = DEFAULT_BACKOFF,
  retryAfterMs?: number,
  random: () => number = Math.random,
): number {
  const n = Math.max(1, Math.floor(attempt));
  // Exponent clamped so base·2^k stays finite (and 0·2^k is not NaN).
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(n - 1, 40));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}
