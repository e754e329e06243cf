import type { AlertDraft } from '../../core/alert';
import { StoreUnavailableError } from '../../core/errors';
import { edgeId, type EdgeKey } from '../../core/edge';
import { matchesAlertQuery, matchesState, type AlertQuery, type AlertTriage, type StoredRule } from '../../core/triage';
import type {
  AlertStateUpdate,
  BaselineStore,
  EdgeFacts,
  EdgePage,
  EdgeQuery,
  EdgeScan,
  EdgeRecord,
  EdgeRefresh,
  ForgetLogPage,
  ObserveOutcome,
  OutboxEntry,
  OutboxStats,
  ScopeRecord,
  Sighting,
  StoredAlert,
  TrafficBaseline,
  TrafficDelta,
} from '../store';
import type { StormPolicy, StormSummaryBuilder, StormSweepResult } from '../storm';
import { MemoryForgetLog } from './memory-forget-log';
import { MemoryEdgeIndex } from './memory-edge-index';
import { MemoryOutbox } from './memory-outbox';
import { scanRows } from './memory-scan';
import { PRUNE_SLICE_EDGES, yieldToIntake } from '../prune-slices';
import { MemoryTriage } from './memory-triage';
import { MemoryLeases } from './memory-leases';
import { MemoryStorm } from './memory-storm';
import type { TrafficAnomaly } from '../../core/traffic';
import { draftOf, type GuardedEnqueue, type TrafficFiring, type TrafficRule } from '../store';
import { MemoryAnomalies } from './memory-anomalies';
import { enqueueGuardedMemory } from './memory-guarded-enqueue';
import { MemoryTraffic } from './memory-traffic';
import { pruneHour } from '../traffic-state';

export interface MemoryStoreOptions {
  /** The store's clock, which places observations in storm windows; tests pin it. */
  now?: () => number;
}

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
  private readonly index = new MemoryEdgeIndex();
  private readonly outbox = new MemoryOutbox();
  private readonly forgets = new MemoryForgetLog();
  private readonly triage = new MemoryTriage();
  private readonly leases = new MemoryLeases();
  private readonly storm = new MemoryStorm();
  private readonly anomalies = new MemoryAnomalies();
  private readonly traffic = new MemoryTraffic();
  private readonly clock: () => number;
  private closed = false;

  constructor(opts: MemoryStoreOptions = {}) {
    this.clock = opts.now ?? Date.now;
  }

  async init(sinks: string[]): Promise<void> {
    this.check();
    this.outbox.register(sinks);
  }

  async observe(sightings: Sighting[], baselineWindowMs: number, storm?: StormPolicy): Promise<ObserveOutcome[]> {
    this.check();
    const now = this.clock();
    return sightings.map((s) => {
      const id = edgeId(s.key);
      const row = this.edges.get(id);
      const previous = row ? row.lastSeenMs : null;
      const isNew = previous === null || previous < s.firstMs - baselineWindowMs;
      const lastSeenMs = previous === null ? s.lastMs : Math.max(previous, s.lastMs);
      if (row) row.lastSeenMs = lastSeenMs;
      else this.edges.set(id, { key: { ...s.key }, lastSeenMs });
      const out: ObserveOutcome = { isNew, previousSeenMs: previous, lastSeenMs, alerted: false };
      if (!isNew || s.alert === undefined) return out;
      const decision = storm ? this.storm.decide(s.alert, s.key.protocol, storm, now, this.outbox.has(s.alert.id)) : 'alert';
      if (decision === 'alert') out.alerted = this.outbox.enqueue(draftOf(s.alert), previous, now);
      if (decision === 'held') out.heldBack = true;
      return out;
    });
  }

  async summariseStorms(graceMs: number, build: StormSummaryBuilder): Promise<AlertDraft[]> {
    this.check();
    const now = this.clock();
    return this.storm.summarise(graceMs, build, now, (d) => this.outbox.enqueue(d, null, now));
  }

  /** Decisions here are one synchronous step: nothing is ever parked. */
  async sweepStorm(_minAgeMs: number): Promise<StormSweepResult> {
    this.check();
    return { alerted: 0, heldBack: 0 };
  }

  async indexEdges(sightings: readonly Pick<Sighting, 'key' | 'firstMs'>[]): Promise<EdgeFacts[]> {
    this.check();
    return this.index.index(sightings);
  }

  async refresh(updates: EdgeRefresh[]): Promise<void> {
    this.check();
    for (const u of updates) {
      const id = edgeId(u.key);
      const row = this.edges.get(id);
      // Update-only: a refresh never brings back an edge that was forgotten (or pruned).
      if (row && u.lastMs > row.lastSeenMs) row.lastSeenMs = u.lastMs;
    }
  }

  async touchScope(scope: string, pointMs: number): Promise<number> {
    this.check();
    const first = Math.min(this.scopes.get(scope) ?? pointMs, pointMs);
    this.scopes.set(scope, first);
    return first;
  }

  async prune(beforeMs: number, onSlice?: (deleted: number) => void): Promise<number> {
    this.check();
    let deleted = 0;
    let slice = 0;
    let seen = 0;
    // A Map iterator stays valid across the yields: rows deleted meanwhile are skipped, added ones visited.
    for (const [id, row] of this.edges) {
      if (row.lastSeenMs < beforeMs) {
        this.edges.delete(id);
        this.index.remove(row.key);
        slice += 1;
      }
      if (++seen % PRUNE_SLICE_EDGES === 0) {
        deleted += slice;
        if (slice > 0) onSlice?.(slice);
        slice = 0;
        await yieldToIntake();
        this.check();
      }
    }
    deleted += slice;
    if (slice > 0) onSlice?.(slice);
    this.outbox.prune(beforeMs);
    this.storm.prune(beforeMs);
    this.anomalies.prune(beforeMs);
    this.triage.retainStates((id) => this.outbox.has(id));
    await this.traffic.prune(pruneHour(beforeMs), () => this.check());
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

  async listScopes(): Promise<ScopeRecord[]> {
    this.check();
    return [...this.scopes].map(([scope, firstPointMs]) => ({ scope, firstPointMs })).sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
  }

  async scanEdges(q: EdgeScan): Promise<EdgePage> {
    this.check();
    return scanRows(this.edges.values(), q);
  }

  async forgetEdge(key: EdgeKey): Promise<boolean> {
    this.check();
    this.forgets.append(key);
    this.index.remove(key);
    return this.edges.delete(edgeId(key));
  }

  async forgottenSince(cursor: string | null): Promise<ForgetLogPage> {
    this.check();
    return this.forgets.since(cursor);
  }

  async addTrafficMoments(deltas: TrafficDelta[]): Promise<void> {
    this.check();
    this.traffic.add(deltas);
  }

  async readTrafficBaselines(keys: string[], hour: number, decayPerHour: number): Promise<TrafficBaseline[]> {
    this.check();
    return this.traffic.read(keys, hour, decayPerHour);
  }

  async enqueueAlert(draft: AlertDraft): Promise<boolean> {
    this.check();
    return this.outbox.enqueue(draft, null, Date.now());
  }

  async enqueueGuarded(draft: AlertDraft, storm: StormPolicy): Promise<GuardedEnqueue> {
    this.check();
    return enqueueGuardedMemory(this.storm, this.outbox, draft, storm, this.clock());
  }

  async recordTrafficAnomalies(anomalies: TrafficAnomaly[], rule: TrafficRule): Promise<TrafficFiring[]> {
    this.check();
    return this.anomalies.record(anomalies, rule);
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

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    this.check();
    return this.leases.acquire(name, owner, ttlMs, Date.now());
  }

  async releaseLease(name: string, owner: string): Promise<boolean> {
    this.check();
    return this.leases.release(name, owner, Date.now());
  }

  async listAlerts(limit: number, query?: AlertQuery): Promise<StoredAlert[]> {
    this.check();
    const now = query?.nowMs ?? Date.now();
    const accept = query && ((id: string, draft: AlertDraft, createdMs: number) => matchesAlertQuery(draft, createdMs, query) && matchesState(this.triage.stateOf(id), query, now));
    return this.outbox.list(limit, accept).map((a) => ({ ...a, triage: this.triage.stateOf(a.alert.id) }));
  }

  async getAlert(alertId: string): Promise<StoredAlert | null> {
    this.check();
    const a = this.outbox.get(alertId);
    return a && { ...a, triage: this.triage.stateOf(alertId) };
  }

  async setAlertState(alertId: string, change: AlertTriage): Promise<AlertStateUpdate | null> {
    this.check();
    if (!this.outbox.has(alertId)) return null;
    return { before: this.triage.setState(alertId, change), after: { ...change } };
  }

  async putRule(rule: StoredRule): Promise<void> {
    this.check();
    this.triage.putRule(rule);
  }

  async listRules(): Promise<StoredRule[]> {
    this.check();
    return this.triage.listRules();
  }

  async deleteRule(ruleId: string): Promise<boolean> {
    this.check();
    return this.triage.deleteRule(ruleId);
  }

  async rulesVersion(): Promise<number> {
    this.check();
    return this.triage.rulesVersion();
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
