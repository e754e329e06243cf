import { completeAlert, type AlertDraft } from '../../core/alert';
import type { DeliveryState, OutboxEntry, OutboxStats, StoredAlert } from '../store';

interface Delivery {
  state: DeliveryState;
  attempts: number;
  leaseOwner: string | null;
  leaseUntil: number;
  nextAt: number;
  lastError: string | null;
}

interface AlertRecord {
  id: string;
  draft: AlertDraft;
  previousSeenMs: number | null;
  createdMs: number;
  /** Insertion order: breaks ties of createdMs so "newest first" is exact. */
  seq: number;
  deliveries: Map<string, Delivery>;
}

/**
 * The alert outbox of MemoryStore: alerts with one delivery per sink registered when they were
 * enqueued. Drafts are cloned in and out so callers never share objects with the store, as with
 * the stores that serialise.
 */
export class MemoryOutbox {
  private sinks: string[] = [];
  private readonly alerts = new Map<string, AlertRecord>();
  /** Per sink, the alerts with a pending delivery, oldest first (Map keeps insertion order). */
  private readonly pending = new Map<string, Map<string, AlertRecord>>();
  private seq = 0;

  register(sinks: string[]): void {
    this.sinks = [...new Set(sinks)];
  }

  /** Returns false when an alert with this id exists already (idempotent enqueue). */
  enqueue(draft: AlertDraft, previousSeenMs: number | null, nowMs: number): boolean {
    if (this.alerts.has(draft.id)) return false;
    const rec: AlertRecord = { id: draft.id, draft: structuredClone(draft), previousSeenMs, createdMs: nowMs, seq: this.seq++, deliveries: new Map() };
    for (const sink of this.sinks) {
      rec.deliveries.set(sink, { state: 'pending', attempts: 0, leaseOwner: null, leaseUntil: 0, nextAt: 0, lastError: null });
      this.pendingOf(sink).set(rec.id, rec);
    }
    this.alerts.set(rec.id, rec);
    return true;
  }

  claim(sink: string, consumer: string, max: number, leaseMs: number, nowMs: number): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const rec of this.pendingOf(sink).values()) {
      if (out.length >= max) break;
      const d = rec.deliveries.get(sink);
      if (!d || d.nextAt > nowMs || (d.leaseOwner !== null && d.leaseUntil > nowMs)) continue;
      d.leaseOwner = consumer;
      d.leaseUntil = nowMs + leaseMs;
      out.push({ alertId: rec.id, sink, draft: structuredClone(rec.draft), previousSeenMs: rec.previousSeenMs, attempts: d.attempts, createdMs: rec.createdMs });
    }
    return out;
  }

  /** Applies a state change to a pending delivery; finished ones are left alone. */
  settle(sink: string, alertId: string, state: DeliveryState, nextAt: number, error: string | null): void {
    const d = this.alerts.get(alertId)?.deliveries.get(sink);
    if (!d || d.state !== 'pending') return;
    d.attempts += 1;
    d.leaseOwner = null;
    d.leaseUntil = 0;
    d.state = state;
    d.nextAt = nextAt;
    if (error !== null) d.lastError = error;
    if (state !== 'pending') this.pendingOf(sink).delete(alertId);
  }

  /** Newest first; `accept` (given the id, draft and creation time) filters before the limit applies. */
  list(limit: number, accept?: (id: string, draft: AlertDraft, createdMs: number) => boolean): StoredAlert[] {
    let newestFirst = [...this.alerts.values()].sort((a, b) => b.createdMs - a.createdMs || b.seq - a.seq);
    if (accept) newestFirst = newestFirst.filter((rec) => accept(rec.id, rec.draft, rec.createdMs));
    return newestFirst.slice(0, Math.max(0, limit)).map(toStored);
  }

  get(alertId: string): StoredAlert | null {
    const rec = this.alerts.get(alertId);
    return rec ? toStored(rec) : null;
  }

  has(alertId: string): boolean {
    return this.alerts.has(alertId);
  }

  stats(): OutboxStats {
    const stats: OutboxStats = { pending: {}, failed: {} };
    for (const sink of this.sinks) {
      stats.pending[sink] = 0;
      stats.failed[sink] = 0;
    }
    for (const rec of this.alerts.values()) {
      for (const [sink, d] of rec.deliveries) {
        if (d.state === 'delivered') continue;
        const bucket = d.state === 'pending' ? stats.pending : stats.failed;
        bucket[sink] = (bucket[sink] ?? 0) + 1;
      }
    }
    return stats;
  }

  /** Drops alerts created before `beforeMs` whose deliveries are all finished. */
  prune(beforeMs: number): void {
    for (const [id, rec] of this.alerts) {
      if (rec.createdMs >= beforeMs) continue;
      if ([...rec.deliveries.values()].some((d) => d.state === 'pending')) continue;
      this.alerts.delete(id);
    }
  }

  private pendingOf(sink: string): Map<string, AlertRecord> {
    let m = this.pending.get(sink);
    if (!m) {
      m = new Map();
      this.pending.set(sink, m);
    }
    return m;
  }
}

/** Triage is the store's to add (MemoryStore keeps it beside the outbox). */
function toStored(rec: AlertRecord): StoredAlert {
  return {
    alert: completeAlert(structuredClone(rec.draft), rec.previousSeenMs),
    createdMs: rec.createdMs,
    deliveries: [...rec.deliveries.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([sink, d]) => ({ sink, state: d.state, attempts: d.attempts, lastError: d.lastError })),
    triage: null,
  };
}
