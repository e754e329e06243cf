import type { AlertDraft } from '../../core/alert';
import { StoreUnavailableError } from '../../core/errors';
import { edgeId, type EdgeKey } from '../../core/edge';
import type {
  BaselineStore,
  EdgeQuery,
  EdgeRecord,
  EdgeRefresh,
  ObserveOutcome,
  OutboxEntry,
  OutboxStats,
  Sighting,
  StoredAlert,
} from '../store';
import { MemoryOutbox } from './memory-outbox';

interface EdgeRow {
  key: EdgeKey;
  lastSeenMs: number;
}

/**
 * The reference BaselineStore: plain Maps, exact semantics, one process. Every call runs to
 * completion synchronously inside its promise, which makes each sighting atomic for free.
 * Used by the `memory:` store URL and by tests of the stages above the store.
 */
export class MemoryStore implements BaselineStore {
  readonly kind = 'memory' as const;
  private readonly edges = new Map<string, EdgeRow>();
  private readonly scopes = new Map<string, number>();
  private readonly outbox = new MemoryOutbox();
  private closed = false;

  async init(sinks: string[]): Promise<void> {
    this.check();
    this.outbox.register(sinks);
  }

  async observe(sightings: Sighting[], baselineWindowMs: number): Promise<ObserveOutcome[]> {
    this.check();
    const now = Date.now();
    return sightings.map((s) => {
      const id = edgeId(s.key);
      const row = this.edges.get(id);
      const previous = row ? row.lastSeenMs : null;
      const isNew = previous === null || previous < s.firstMs - baselineWindowMs;
      const lastSeenMs = previous === null ? s.lastMs : Math.max(previous, s.lastMs);
      if (row) row.lastSeenMs = lastSeenMs;
      else this.edges.set(id, { key: { ...s.key }, lastSeenMs });
      const alerted = isNew && s.alert !== undefined && this.outbox.enqueue(s.alert, previous, now);
      return { isNew, previousSeenMs: previous, lastSeenMs, alerted };
    });
  }

  async refresh(updates: EdgeRefresh[]): Promise<void> {
    this.check();
    for (const u of updates) {
      const id = edgeId(u.key);
      const row = this.edges.get(id);
      if (!row) this.edges.set(id, { key: { ...u.key }, lastSeenMs: u.lastMs });
      else if (u.lastMs > row.lastSeenMs) row.lastSeenMs = u.lastMs;
    }
  }

  async touchScope(scope: string, pointMs: number): Promise<number> {
    this.check();
    const first = Math.min(this.scopes.get(scope) ?? pointMs, pointMs);
    this.scopes.set(scope, first);
    return first;
  }

  async prune(beforeMs: number): Promise<number> {
    this.check();
    let deleted = 0;
    for (const [id, row] of this.edges) {
      if (row.lastSeenMs < beforeMs) {
        this.edges.delete(id);
        deleted += 1;
      }
    }
    this.outbox.prune(beforeMs);
    return deleted;
  }

  async listEdges(q: EdgeQuery): Promise<EdgeRecord[]> {
    this.check();
    const hits: EdgeRecord[] = [];
    for (const row of this.edges.values()) {
      if (q.scope !== undefined && row.key.scope !== q.scope) continue;
      if (q.protocol !== undefined && row.key.protocol !== q.protocol) continue;
      if (q.sinceMs !== undefined && row.lastSeenMs < q.sinceMs) continue;
      hits.push({ key: { ...row.key }, lastSeenMs: row.lastSeenMs });
    }
    return hits.sort((a, b) => b.lastSeenMs - a.lastSeenMs).slice(0, Math.max(0, q.limit));
  }

  async countEdges(): Promise<number> {
    this.check();
    return this.edges.size;
  }

  async forgetEdge(key: EdgeKey): Promise<boolean> {
    this.check();
    return this.edges.delete(edgeId(key));
  }

  async enqueueAlert(draft: AlertDraft): Promise<boolean> {
    this.check();
    return this.outbox.enqueue(draft, null, Date.now());
  }

  async claimAlerts(sink: string, consumer: string, max: number, leaseMs: number): Promise<OutboxEntry[]> {
    this.check();
    return this.outbox.claim(sink, consumer, max, leaseMs, Date.now());
  }

  async ackAlerts(sink: string, alertIds: string[]): Promise<void> {
    this.check();
    for (const id of alertIds) this.outbox.settle(sink, id, 'delivered', 0, null);
  }

  async retryAlert(sink: string, alertId: string, retryAtMs: number, error: string): Promise<void> {
    this.check();
    this.outbox.settle(sink, alertId, 'pending', retryAtMs, error);
  }

  async failAlert(sink: string, alertId: string, error: string): Promise<void> {
    this.check();
    this.outbox.settle(sink, alertId, 'failed', 0, error);
  }

  async listAlerts(limit: number): Promise<StoredAlert[]> {
    this.check();
    return this.outbox.list(limit);
  }

  async outboxStats(): Promise<OutboxStats> {
    this.check();
    return this.outbox.stats();
  }

  async ping(): Promise<void> {
    this.check();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** A closed store behaves like an unreachable backend, as the real ones do. */
  private check(): void {
    if (this.closed) throw new StoreUnavailableError('memory store is closed');
  }
}
