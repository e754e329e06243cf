import { backoffDelay, type BackoffOptions } from './backoff';

export type RetryPlan = { kind: 'retry'; retryAtMs: number } | { kind: 'give-up'; reason: string };

export interface RetryInput {
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  /** When the alert entered the outbox. */
  createdMs: number;
  nowMs: number;
  /** Retries stop this long after createdMs. */
  deadlineMs: number;
  retryAfterMs?: number;
  backoff: BackoffOptions;
  random?: () => number;
}

/**
 * When to retry a retryable failure, or give up. A retry the backoff would place past the
 * deadline is pulled in to the deadline (one last attempt), unless the server itself asked
 * for a later time: then no attempt within the deadline can honour it.
 */
export function planRetry(p: RetryInput): RetryPlan {
  const deadlineAt = p.createdMs + p.deadlineMs;
  if (p.nowMs >= deadlineAt) {
    return { kind: 'give-up', reason: `delivery deadline of ${p.deadlineMs} ms passed after ${p.attempt} attempts` };
  }
  if (p.retryAfterMs !== undefined && p.nowMs + p.retryAfterMs > deadlineAt) {
    return { kind: 'give-up', reason: `server asked to retry after ${p.retryAfterMs} ms, past the delivery deadline` };
  }
  const delay = backoffDelay(p.attempt, p.backoff, p.retryAfterMs, p.random);
  return { kind: 'retry', retryAtMs: Math.min(p.nowMs + delay, deadlineAt) };
}
