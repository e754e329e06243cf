import type { AlertDraft } from '../../core/alert';
import type { OutboxEntry, OutboxStats } from '../store';
import type { Statements } from './statements';

/**
 * Records a new alert with one pending delivery per registered sink. Returns false when the
 * alert id exists already (a replayed or duplicate appearance): enqueue is idempotent.
 */
export function enqueueAlert(st: Statements, draft: AlertDraft, previousSeenMs: number | null, nowMs: number): boolean {
  if (st.insertAlert.run(draft.id, JSON.stringify(draft), previousSeenMs, nowMs).changes === 0) return false;
  st.insertDeliveries.run(draft.id);
  return true;
}

/** The outbox half of SqliteStore; the store runs each call in its own transaction. */
export class SqliteOutbox {
  constructor(private readonly st: Statements) {}

  register(sinks: string[], nowMs: number): void {
    const unique = [...new Set(sinks)];
    this.st.clearOtherSinks.run(JSON.stringify(unique));
    for (const sink of unique) this.st.addSink.run(sink, nowMs);
  }

  /** A standalone alert (no edge decided it): previous_seen null, idempotent by id. */
  enqueue(draft: AlertDraft, nowMs: number): boolean {
    return enqueueAlert(this.st, draft, null, nowMs);
  }

  /** Names in the registry table (what the last init() registered, by any process). */
  sinkNames(): string[] {
    return this.st.sinkNames.all().map((r) => r.name);
  }

  claim(sink: string, consumer: string, max: number, leaseMs: number, nowMs: number): OutboxEntry[] {
    if (max <= 0) return [];
    const rows = this.st.due.all(sink, nowMs, nowMs, max);
    for (const r of rows) this.st.lease.run(consumer, nowMs + leaseMs, r.alert_id, sink);
    return rows.map((r) => ({
      alertId: r.alert_id,
      sink,
      draft: JSON.parse(r.payload) as AlertDraft,
      previousSeenMs: r.previous_seen,
      attempts: r.attempts,
      createdMs: r.created_at,
    }));
  }

  ack(sink: string, alertIds: string[]): void {
    for (const id of alertIds) this.st.ack.run(id, sink);
  }

  retry(sink: string, alertId: string, retryAtMs: number, error: string): void {
    this.st.retry.run(retryAtMs, error, alertId, sink);
  }

  fail(sink: string, alertId: string, error: string): void {
    this.st.fail.run(error, alertId, sink);
  }

  /** Registered sinks always appear (with 0), so a gauge per sink exists from the start. */
  stats(): OutboxStats {
    const stats: OutboxStats = { pending: {}, failed: {} };
    for (const { name } of this.st.sinkNames.all()) {
      stats.pending[name] = 0;
      stats.failed[name] = 0;
    }
    for (const r of this.st.stats.all()) {
      const bucket = r.state === 'pending' ? stats.pending : stats.failed;
      bucket[r.sink] = r.n;
    }
    return stats;
  }
}
