import type { AlertDraft, Alert } from '../core/alert';
import type { EdgeKey } from '../core/edge';

/**
 * One appearance of an edge in a batch: the earliest and latest point time of a run of points
 * with no gap longer than the baseline window. The detector builds these; the store decides.
 */
export interface Sighting {
  key: EdgeKey;
  firstMs: number;
  lastMs: number;
  /** Present when an alert is wanted should the edge turn out new (window, learning, filters passed). */
  alert?: AlertDraft;
}

export interface ObserveOutcome {
  /** No last-seen at or after `firstMs - baselineWindowMs` existed (see `BaselineStore.observe`). */
  isNew: boolean;
  /** The stored last-seen before this call (null if the edge was unknown or pruned). */
  previousSeenMs: number | null;
  /** The stored last-seen after this call: max(previous, lastMs). */
  lastSeenMs: number;
  /** An alert was enqueued in the outbox by this call. */
  alerted: boolean;
}

export interface EdgeRefresh {
  key: EdgeKey;
  lastMs: number;
}

export interface EdgeRecord {
  key: EdgeKey;
  lastSeenMs: number;
}

export interface EdgeQuery {
  /** Exact scope (cluster name, or '*' under global scope). */
  scope?: string;
  protocol?: 'tcp' | 'udp';
  /** Only edges last seen at or after this time. */
  sinceMs?: number;
  limit: number;
}

export interface OutboxEntry {
  alertId: string;
  sink: string;
  draft: AlertDraft;
  previousSeenMs: number | null;
  /** Delivery attempts before this claim. */
  attempts: number;
  createdMs: number;
}

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface StoredAlert {
  alert: Alert;
  createdMs: number;
  deliveries: { sink: string; state: DeliveryState; attempts: number; lastError: string | null }[];
}

export interface OutboxStats {
  /** Entries not yet delivered nor failed, per sink. */
  pending: Record<string, number>;
  failed: Record<string, number>;
}

/**
 * The baseline and the alert outbox. Implementations: memory (tests, `memory:`), SQLite (the
 * embedded default), Redis (production, N replicas). All pass test/conformance/store-conformance.ts.
 *
 * Every method may reject with StoreUnavailableError when the backend cannot be reached.
 */
export interface BaselineStore {
  readonly kind: 'memory' | 'sqlite' | 'redis';

  /**
   * Open connections, create schema, and register the sinks: every alert enqueued from now on
   * gets one delivery entry per sink. Sinks registered later only see alerts enqueued later.
   */
  init(sinks: string[]): Promise<void>;

  /**
   * For each sighting, atomically (per sighting, also against other replicas):
   * - L = stored last-seen of the key (absent → null).
   * - new ⇔ L is null or L < firstMs − baselineWindowMs.
   * - store last-seen = max(L, lastMs).
   * - if new and `alert` is set: enqueue the alert (id `alert.id`, with previousSeenMs = L) for every
   *   registered sink, unless an alert with that id already exists (idempotent).
   * Outcomes are in the order of `sightings`.
   */
  observe(sightings: Sighting[], baselineWindowMs: number): Promise<ObserveOutcome[]>;

  /** Batched last-seen refreshes with "greater than" semantics (never moves a last-seen back). */
  refresh(updates: EdgeRefresh[]): Promise<void>;

  /** Record a point time for a scope; returns the earliest point time ever recorded for it. */
  touchScope(scope: string, pointMs: number): Promise<number>;

  /** Delete edges last seen before `beforeMs`, and finished outbox entries created before it. Returns edges deleted. */
  prune(beforeMs: number): Promise<number>;

  listEdges(query: EdgeQuery): Promise<EdgeRecord[]>;
  countEdges(): Promise<number>;

  /**
   * Delete one edge (exact scope, protocol, source and dest) from the baseline, so its next point
   * is new again (`edgewatch edges forget`, `DELETE /api/v1/edges`). The outbox is untouched.
   * Returns whether the edge existed.
   */
  forgetEdge(key: EdgeKey): Promise<boolean>;

  /**
   * Enqueue an alert that belongs to no sighting (the storm guard's summary), with
   * previousSeenMs null, for every registered sink, exactly as `observe` enqueues one.
   * Idempotent by `draft.id`: returns false (and changes nothing) when that id exists already.
   */
  enqueueAlert(draft: AlertDraft): Promise<boolean>;

  /**
   * Lease up to `max` deliverable entries of `sink` to `consumer` for `leaseMs`: pending entries
   * that are not leased (or whose lease expired — a dead consumer's) and whose retry time is due.
   */
  claimAlerts(sink: string, consumer: string, max: number, leaseMs: number): Promise<OutboxEntry[]>;
  /** Delivery succeeded: the entries leave the outbox for good. */
  ackAlerts(sink: string, alertIds: string[]): Promise<void>;
  /** Retryable failure: release the lease; claimable again from `retryAtMs`. */
  retryAlert(sink: string, alertId: string, retryAtMs: number, error: string): Promise<void>;
  /** Permanent failure: the entry leaves the outbox as failed (kept for /api/v1/alerts). */
  failAlert(sink: string, alertId: string, error: string): Promise<void>;

  /** Most recent alerts first. */
  listAlerts(limit: number): Promise<StoredAlert[]>;
  outboxStats(): Promise<OutboxStats>;

  /** Resolves when the backend answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
