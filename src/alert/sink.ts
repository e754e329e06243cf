import type { Alert } from '../core/alert';

/**
 * What one delivery attempt came to. The sink decides at its boundary whether a failure is
 * worth retrying; the dispatcher owns backoff, deadline and bookkeeping in the outbox.
 */
export type DeliveryResult =
  /** `skipped`: the sink's filter did not want the alert; acknowledged without sending. */
  | { kind: 'success'; skipped?: boolean }
  | { kind: 'retryable'; error: string; retryAfterMs?: number }
  | { kind: 'failure'; error: string };

/** A destination for alerts (webhook, log, …). */
export interface Sink {
  /** Stable across restarts: the outbox keys delivery entries by it. Never contains secrets. */
  readonly name: string;
  /** One attempt. Must honour `signal` (timeout or shutdown) and should not throw. */
  deliver(alert: Alert, signal: AbortSignal): Promise<DeliveryResult>;
}
