/**
 * Storm windows of the conformance suites: they sit at multiples of their length on this
 * machine's clock (the store clock), so a test that must not cross a boundary waits for room.
 */

/** A window no test outlives (they start away from its end): for cap tests. */
export const LONG_MS = 3_600_000;
/** A window tests wait out: for summaries. */
export const SHORT_MS = 1500;
/** Room in the LONG_MS window before each test: more than a test may take (jest's 30 s). */
export const LONG_ROOM_MS = 60_000;
/** The timeout of a beforeEach that waits for LONG_ROOM_MS: the wait is not the test's. */
export const LONG_ROOM_WAIT_MS = LONG_ROOM_MS + 10_000;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Returns once at least `needMs` of the current window (store clock = this machine's) are left. */
export async function roomInWindow(windowMs: number, needMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < needMs) await sleep(left + 20);
}
