import type { Alert } from '../core/alert';
import type { AlertGroup, GroupingSpec } from './alert-group';

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
  /**
   * Set on a sink that groups (`group_by`): the dispatcher holds its alerts for
   * `grouping.waitMs` and calls deliverGroup once per group instead of deliver per alert.
   */
  readonly grouping?: GroupingSpec;
  /** One attempt for a whole group (one request); same contract as deliver. */
  deliverGroup?(group: AlertGroup, signal: AbortSignal): Promise<DeliveryResult>;
  /** Whether the sink wants the alert at all (its protocol/cluster filter); absent: every alert. */
  accepts?(alert: Alert): boolean;
}

/** A sink whose alerts are grouped before delivery. */
export interface GroupingSink extends Sink {
  readonly grouping: GroupingSpec;
  deliverGroup(group: AlertGroup, signal: AbortSignal): Promise<DeliveryResult>;
}

export function isGroupingSink(sink: Sink): sink is GroupingSink {
  return sink.grouping !== undefined && typeof sink.deliverGroup === 'function';
}
