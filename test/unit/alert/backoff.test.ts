import { backoffDelay, DEFAULT_BACKOFF } from '../../../src/alert/backoff';
import { planRetry } from '../../../src/alert/retry-policy';

const opts = { baseMs: 500, capMs: 300_000 };

describe('backoffDelay', () => {
  it('defaults to base 500 ms and cap 5 min', () => {
    expect(DEFAULT_BACKOFF).toEqual(opts);
  });

  it('grows the ceiling exponentially from the base', () => {
    const top = (): number => 1 - Number.EPSILON;
    expect(backoffDelay(1, opts, undefined, top)).toBe(499);
    expect(backoffDelay(2, opts, undefined, top)).toBe(999);
    expect(backoffDelay(5, opts, undefined, top)).toBe(7999);
  });

  it('never exceeds the cap, even after very many attempts', () => {
    const top = (): number => 1 - Number.EPSILON;
    for (const attempt of [11, 20, 100, 10_000]) {
      const d = backoffDelay(attempt, opts, undefined, top);
      expect(d).toBeLessThan(opts.capMs);
      expect(d).toBeGreaterThan(opts.capMs - 2);
    }
  });

  it('is full jitter: anywhere in [0, ceiling)', () => {
    const delays = Array.from({ length: 2000 }, () => backoffDelay(4, opts));
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(4000);
      expect(Number.isInteger(d)).toBe(true);
    }
    // Spread over the range, not clustered at the ceiling.
    expect(Math.min(...delays)).toBeLessThan(400);
    expect(Math.max(...delays)).toBeGreaterThan(3600);
    expect(backoffDelay(4, opts, undefined, () => 0)).toBe(0);
  });

  it('treats a Retry-After as a floor, even above the cap', () => {
    expect(backoffDelay(1, opts, 1000, () => 0.5)).toBe(1000);
    expect(backoffDelay(8, opts, 1000, () => 0.5)).toBe(32_000);
    expect(backoffDelay(30, opts, 600_000, () => 0.99)).toBe(600_000);
  });

  it('treats attempts below 1 as the first', () => {
    expect(backoffDelay(0, opts, undefined, () => 0.5)).toBe(250);
    expect(backoffDelay(-3, opts, undefined, () => 0.5)).toBe(250);
  });

  it('stays finite with a zero base', () => {
    expect(backoffDelay(1000, { baseMs: 0, capMs: 10 }, undefined, () => 0.5)).toBe(0);
  });
});

describe('planRetry', () => {
  const base = { createdMs: 1_000_000, deadlineMs: 60_000, backoff: opts, random: () => 0.5 };

  it('schedules the next attempt from now', () => {
    expect(planRetry({ ...base, attempt: 1, nowMs: 1_000_100 })).toEqual({ kind: 'retry', retryAtMs: 1_000_350 });
  });

  it('gives up once the deadline has passed', () => {
    const plan = planRetry({ ...base, attempt: 7, nowMs: 1_060_000 });
    expect(plan.kind).toBe('give-up');
  });

  it('pulls a retry past the deadline in to the deadline (one last attempt)', () => {
    expect(planRetry({ ...base, attempt: 20, nowMs: 1_050_000 })).toEqual({ kind: 'retry', retryAtMs: 1_060_000 });
  });

  it('gives up when the server asks for a time past the deadline', () => {
    const plan = planRetry({ ...base, attempt: 1, nowMs: 1_050_000, retryAfterMs: 20_000 });
    expect(plan).toEqual({ kind: 'give-up', reason: expect.stringContaining('20000 ms') });
  });

  it('honours Retry-After within the deadline', () => {
    expect(planRetry({ ...base, attempt: 1, nowMs: 1_000_000, retryAfterMs: 5_000 })).toEqual({ kind: 'retry', retryAtMs: 1_005_000 });
  });
});
