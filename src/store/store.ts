import type { AlertDraft, Alert } from '../core/alert';
import type { EdgeKey } from '../core/edge';
import type { Moments, TrafficAnomaly } from '../core/traffic';
import type { AlertQuery, AlertTriage, StoredRule } from '../core/triage';
import type { StormPolicy, StormSummaryBuilder, StormSweepResult } from './storm';

export type { StormPolicy, StormSummaryBuilder, StormSweepResult, StormWindow } from './storm';

/**
 * One appearance of an edge in a batch: the earliest and latest point time of a run of points
 * with no gap longer than the baseline window. The detector builds these; the store decides.
 */
export interface Sighting {
  key: EdgeKey;
  firstMs: number;
  lastMs: number;
  /**
   * Present when an alert is wanted should the edge turn out new (window, learning, filters
   * passed): the draft, or a LazyAlert the store builds only if it enqueues the alert.
   */
  alert?: AlertDraft | LazyAlert;
}

/**
 * An alert wanted for a sighting whose draft is built only when a store needs it: to enqueue the
 * alert, or (Redis) to park it while its storm budget is undecided. A first deploy's storm guard
 * holds back nearly every new edge, and a draft (its JSON, its attributes) costs more than the
 * decision; the id and cluster are all the decision reads.
 */
export interface LazyAlert {
  /** The draft's id (stable per appearance): what "decided once" is keyed by. */
  readonly id: string;
  /** The draft's cluster: what the storm guard counts against. */
  readonly cluster: string;
  /** The draft, with this id and cluster; may be called more than once (build it once and keep it). */
  build(): AlertDraft;
}

/** The draft of a sighting's alert, built now if it is a LazyAlert. */
export function draftOf(alert: AlertDraft | LazyAlert): AlertDraft {
  return 'build' in alert ? alert.build() : alert;
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
  /**
   * With a storm policy: the edge was new and wanted an alert, but its cluster's window had spent
   * the cap, so it is counted in the window's summary instead. Absent (not false) otherwise.
   */
  heldBack?: boolean;
}

/**
 * What the per-workload index knew about both ends of an edge just before `indexEdges` recorded
 * it (the edge itself, in its direction and protocol, never counts). Feeds the alert context.
 */
export interface EdgeFacts {
  /** Earliest first-seen of any other indexed edge with the source as either end; null: none. */
  sourceFirstSeenMs: number | null;
  destFirstSeenMs: number | null;
  /** Distinct workloads the source is indexed with (either direction, any protocol). */
  sourcePeers: number;
  destPeers: number;
  /** The same pair, in the same direction, is indexed on the other protocol. */
  otherProtocol: boolean;
}

export interface EdgeRefresh {
  key: EdgeKey;
  lastMs: number;
}

/** A scope (cluster) and the earliest point time ever recorded for it (BaselineStore.touchScope). */
export interface ScopeRecord {
  scope: string;
  firstPointMs: number;
}

export interface EdgeRecord {
  key: EdgeKey;
  lastSeenMs: number;
}

/** A page of the forget log (see `BaselineStore.forgottenSince`). */
export interface ForgetLogPage {
  /** Pass to the next call: the position after the last forget returned. */
  cursor: string;
  /** Edges forgotten after the given cursor, oldest first (an edge may repeat). */
  keys: EdgeKey[];
  /**
   * Forgets after the given cursor are no longer all in the log (it keeps the last
   * FORGET_LOG_MAX_ENTRIES), or the cursor is not one of this log's: the caller must treat every
   * edge it caches as possibly forgotten. `keys` is then empty. Always false for a null cursor.
   */
  truncated: boolean;
}

export interface EdgeQuery {
  /** Exact scope (cluster name, or '*' under global scope). */
  scope?: string;
  protocol?: 'tcp' | 'udp';
  /** Only edges last seen at or after this time. */
  sinceMs?: number;
  limit: number;
}

/** One page request of scanEdges. */
export interface EdgeScan {
  /** The `cursor` of the previous page; absent: start at the most recent edge. */
  cursor?: string;
  /** Edges per page at most (≥ 1). */
  limit: number;
  /** Only edges last seen at or after this time. */
  sinceMs?: number;
  /** Only edges of this exact scope (cluster name, or '*' under global scope). */
  scope?: string;
  protocol?: 'tcp' | 'udp';
}

export interface EdgePage {
  /** Most recent last-seen first. */
  edges: EdgeRecord[];
  /**
   * Pass it to the next call; null when the scan is done. A page with a non-null cursor is full
   * (`limit` edges, filters applied); the page after it may be empty.
   */
  cursor: string | null;
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
  /** The last state change (ack, expect); null: never triaged, the alert is open. */
  triage: AlertTriage | null;
}

/** What setAlertState changed: the record before (null: none) and the one stored now. */
export interface AlertStateUpdate {
  before: AlertTriage | null;
  after: AlertTriage;
}

export interface OutboxStats {
  /** Entries not yet delivered nor failed, per sink. */
  pending: Record<string, number>;
  failed: Record<string, number>;
}

/** Raw point values of one traffic key and metric in one clock hour, added up by addTrafficMoments. */
export interface TrafficDelta {
  /** trafficKeyId (core/traffic.ts). */
  key: string;
  /** floor(point time / 3 600 000): the clock hour the points fall in. */
  hour: number;
  metric: string;
  moments: Moments;
}

/** A traffic key's baseline (readTrafficBaselines): decayed moments per metric. */
export interface TrafficBaseline {
  key: string;
  metrics: Record<string, Moments>;
}

/** The firing rule of recordTrafficAnomalies: more than `minCount` anomalies within `windowMs`, at most one firing per `cooldownMs`. */
export interface TrafficRule {
  windowMs: number;
  minCount: number;
  cooldownMs: number;
}

/** A key that fired (recordTrafficAnomalies): at `firedMs` (its latest anomaly's bucket), with the anomalies of the window. */
export interface TrafficFiring {
  key: string;
  firedMs: number;
  /** Oldest first (then by metric). */
  anomalies: TrafficAnomaly[];
}

/** What enqueueGuarded did with an alert. */
export type GuardedEnqueue = 'enqueued' | 'exists' | 'held';

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
   * With `storm` (the storm guard), a new edge with an alert is first counted against its
   * cluster (`alert.cluster`) in the current window (store clock), in the same atomic operation
   * as the decision: the first `maxPerWindow` per cluster and window across every process get
   * their alert; past the cap the edge is held back instead: recorded in the store (per cluster
   * and window: count per protocol, first time), outcome `heldBack`, no alert. An alert id is
   * decided once (a retry or replay neither alerts nor counts again). Where the store decides in
   * steps (Redis) an interrupted decision is finished by `sweepStorm`, never lost nor doubled.
   * Outcomes are in the order of `sightings`.
   */
  observe(sightings: Sighting[], baselineWindowMs: number, storm?: StormPolicy): Promise<ObserveOutcome[]>;

  /**
   * Summarise ended storm windows: every window with held-back edges that ended `graceMs` or
   * more ago (store clock) and has no summary gets `build(window)` enqueued as by `enqueueAlert`
   * and is marked summarised, atomically, with the counts the summary carries. Any number of
   * processes may call it at once: exactly one summary per cluster per window. A held-back edge
   * decided after its window was summarised counts in a later window. Returns the summaries this
   * call enqueued.
   */
  summariseStorms(graceMs: number, build: StormSummaryBuilder): Promise<AlertDraft[]>;

  /**
   * Finish storm decisions that a crash interrupted (parked by `observe` at least `minAgeMs`
   * ago): each is decided and its alert enqueued, or held back, exactly as `observe` would have.
   * Safe to run concurrently with `observe` and other sweeps. Stores that decide in one
   * transaction never leave any (0, 0).
   */
  sweepStorm(minAgeMs: number): Promise<StormSweepResult>;

  /**
   * The per-workload index of alert context: for each sighting in order, the facts the index
   * held before it (earlier sightings of the same call included), then record the edge at both
   * ends with first-seen = min(stored, firstMs). Idempotent. The detector calls it for the cache
   * misses of a batch before `observe`. Index entries leave with their edge (prune, forgetEdge).
   */
  indexEdges(sightings: readonly Pick<Sighting, 'key' | 'firstMs'>[]): Promise<EdgeFacts[]>;

  /**
   * Batched last-seen refreshes with "greater than" semantics (never moves a last-seen back), of
   * edges the store holds: a refresh never creates an edge, so a replica's buffered refresh of
   * an edge another replica just forgot cannot write it back (the edge's next point is new).
   */
  refresh(updates: EdgeRefresh[]): Promise<void>;

  /** Record a point time for a scope; returns the earliest point time ever recorded for it. */
  touchScope(scope: string, pointMs: number): Promise<number>;

  /**
   * Delete edges last seen before `beforeMs` (and their entries in the alert-context index),
   * finished outbox entries created before it, and storm windows that ended before it (Redis
   * expires them instead), and traffic keys whose latest hour is before its hour (in slices too,
   * not counted). Returns edges deleted. Edges go in slices (a bounded number per
   * transaction or script call, yielding to the event loop between them), so intake is not
   * stalled by a big prune; `onSlice` is told each slice's count as it is deleted.
   */
  prune(beforeMs: number, onSlice?: (deleted: number) => void): Promise<number>;

  listEdges(query: EdgeQuery): Promise<EdgeRecord[]>;
  countEdges(): Promise<number>;

  /** Every scope touchScope recorded, with its earliest point (the learning state of the admin API), by name. */
  listScopes(): Promise<ScopeRecord[]>;

  /**
   * Page through the baseline by last-seen, most recent first, with an opaque cursor, so no
   * answer is built whole in memory (the cache's warm fill after a restart). Over all pages the
   * last-seen never increases; ties come in an order of the store's choosing. An edge unchanged
   * while the scan runs is returned exactly once; one whose last-seen is raised meanwhile may be
   * missed (it moved ahead of the cursor), and no edge is ever returned twice.
   */
  scanEdges(scan: EdgeScan): Promise<EdgePage>;

  /**
   * Delete one edge (exact scope, protocol, source and dest) from the baseline, so its next point
   * is new again (`edgewatch edges forget`, `DELETE /api/v1/edges`), and from the alert-context
   * index (`indexEdges`). The outbox is untouched.
   * Also appends the key to the forget log (whether or not the edge existed), atomically with the
   * delete or before it, so that every replica drops the edge from its cache (`forgottenSince`).
   * Returns whether the edge existed.
   */
  forgetEdge(key: EdgeKey): Promise<boolean>;

  /**
   * The forget log after `cursor`, shared by every process on the store; replicas read it once
   * per flush to drop forgotten edges from their caches. A null cursor answers the current end
   * of the log and no keys. The log keeps the last FORGET_LOG_MAX_ENTRIES forgets.
   */
  forgottenSince(cursor: string | null): Promise<ForgetLogPage>;

  /**
   * Enqueue an alert that belongs to no sighting (storm summaries use `summariseStorms`), with
   * previousSeenMs null, for every registered sink, exactly as `observe` enqueues one.
   * Idempotent by `draft.id`: returns false (and changes nothing) when that id exists already.
   */
  enqueueAlert(draft: AlertDraft): Promise<boolean>;

  /**
   * enqueueAlert through the storm guard: the alert counts against its cluster (`draft.cluster`)
   * in the current window exactly as a new edge's alert does in `observe` (same counter, same
   * cap, same summary: a held-back alert is counted under `draft.protocol`, which must be set).
   * 'exists' (nothing changed) when that id was enqueued or decided before; 'held' when the cap
   * was spent. Atomic against other replicas; a step a crash interrupted is finished by sweepStorm.
   * Where the store decides in steps (Redis), a decision this call left to sweepStorm (parkOnly,
   * or no window to count it in) also answers 'held': not enqueued by this call.
   */
  enqueueGuarded(draft: AlertDraft, storm: StormPolicy): Promise<GuardedEnqueue>;

  /**
   * Traffic baselines (README "Anomalous traffic"): add each delta's moments to the stored
   * moments of (key, hour, metric). Additive and commutative, so replicas write their own
   * points' moments without coordination. Prune drops a key whose latest hour (written, or
   * last read: readTrafficBaselines' `hour`) is before the prune time's hour. A delta with a
   * non-finite moment is skipped (a NaN point would spoil the baseline for good); a non-integer
   * hour rejects with RangeError.
   */
  addTrafficMoments(deltas: TrafficDelta[]): Promise<void>;

  /**
   * Each key's baseline as of the start of clock hour `hour`: per metric, the sum over stored
   * hours h < hour of decayPerHour^(hour − 1 − h) × moments(key, h, metric) (n, sum and sumSq
   * each weighted). Hours ≥ `hour` are left out: the current hour never weighs in its own
   * baseline. A store may fold the hours it has answered into one decayed sum (every caller
   * passes the same decayPerHour); a read at an hour earlier than one answered before may then
   * include hours up to that earlier read's. Keys with nothing before `hour` are absent; order
   * follows `keys`. A non-integer `hour`, or decayPerHour outside (0, 1], rejects with RangeError.
   */
  readTrafficBaselines(keys: string[], hour: number, decayPerHour: number): Promise<TrafficBaseline[]>;

  /**
   * Record anomalies, idempotent per (key, metric, bucketMs): a replay or a second replica
   * recording the same one changes nothing. Then for each key touched, with t = its latest
   * recorded bucketMs: when more than `rule.minCount` of its anomalies have bucketMs in
   * (t − windowMs, t] and it last fired at or before t − cooldownMs and before t (or never), it fires at t:
   * the firing is recorded atomically with the count, so across replicas exactly one caller
   * gets each firing, and returned with those anomalies. Anomalies older than t − windowMs may
   * be dropped; firings are kept until prune passes them: prune(beforeMs) drops the ledger of a
   * key whose latest bucketMs and last firing are both before beforeMs. `rule.windowMs` > 0.
   */
  recordTrafficAnomalies(anomalies: TrafficAnomaly[], rule: TrafficRule): Promise<TrafficFiring[]>;

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

  /**
   * Take or renew the named lease for `ttlMs` (grouped sinks: one replica delivers a sink at a
   * time). True when `owner` holds it after the call: it was free, expired, or already `owner`'s
   * (then it now runs until now + ttlMs); false while another owner's lease runs.
   */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>;
  /** Give the lease up if `owner` holds it (another owner's lease is left alone); returns whether it did. */
  releaseLease(name: string, owner: string): Promise<boolean>;

  /** Most recent alerts first; with a query, only those that pass every filter given. */
  listAlerts(limit: number, query?: AlertQuery): Promise<StoredAlert[]>;
  /** One alert by id, or null when there is none (never was, or pruned). */
  getAlert(alertId: string): Promise<StoredAlert | null>;
  /**
   * Record a state change of an alert (ack, expect), atomically against other replicas; kept
   * as long as the alert is (prune drops it with the alert). Null when no such alert exists.
   */
  setAlertState(alertId: string, change: AlertTriage): Promise<AlertStateUpdate | null>;

  /** Store (or replace, by id) an allow rule; bumps rulesVersion. */
  putRule(rule: StoredRule): Promise<void>;
  /** Every stored rule, oldest first (then by id). */
  listRules(): Promise<StoredRule[]>;
  /** Delete a stored rule; false when there was none. Bumps rulesVersion when it deleted one. */
  deleteRule(ruleId: string): Promise<boolean>;
  /** A number that changes whenever the stored rules do: replicas poll it (cheap) and reload on change. */
  rulesVersion(): Promise<number>;
  outboxStats(): Promise<OutboxStats>;

  /** Resolves when the backend answers; rejects with StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
