import type { Attributes as OtelAttributes, Counter } from '@opentelemetry/api';
import { completeAlert } from '../core/alert';
import type { BaselineStore, OutboxEntry } from '../store/store';
import type { Telemetry } from '../telemetry/metrics';
import type { Logger } from '../telemetry/logger';
import { makeGroup } from './alert-group';
import { BoundedAttempts } from './bounded-attempt';
import { GroupBuffer, type HeldEntry, type HeldGroup } from './group-buffer';
import { OutageLog } from './outage-log';
import { planRetry } from './retry-policy';
import type { GroupingSink } from './sink';
import { ABORT_GRACE_MS, type Pump, type PumpOptions } from './sink-pump';

/** Entries per claim call. */
const CLAIM_BATCH = 100;
/** Entries held at most per sink (memory bound); more wait in the outbox until groups are sent. */
export const MAX_HELD = 2_000;

/** Lease of the sink in the store: only its holder claims, so a group is never split over replicas. */
export const sinkLeaseName = (sink: string): string => `sink:${sink}`;

/**
 * Delivers a grouping sink (`group_by`): like Alertmanager's group_wait, alerts of one group
 * wait until the oldest is `group_wait` old, then go out as one notification.
 *
 * Across replicas: alerts of one group sit in different outbox shards, so a replica claiming
 * on its own would split groups. Only the holder of the sink's lease in the store claims; it
 * holds the claimed entries (their outbox lease outlasts group_wait and one delivery), sends one
 * request per group, then acknowledges every entry of the group — or retries or fails them all.
 * A holder that dies lets both leases run out; another replica takes over and sends what is
 * due. At-least-once as for single alerts: a crash between acceptance and acknowledgement
 * resends the group, with the same group id.
 */
export class GroupingPump implements Pump {
  private readonly buffer: GroupBuffer;
  private readonly sending = new Set<Promise<void>>();
  private cycling: Promise<void> | null = null;
  private again = false;
  private stopping = false;
  private aborting = false;
  /** This replica holds the sink's lease (as of the last check). */
  private holding = false;
  private leaseCheckedMs = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;
  private readonly leaseName: string;
  /** Outbox lease of a claimed entry: the wait, then one delivery with its margin. */
  private readonly claimLeaseMs: number;
  private readonly attempts: BoundedAttempts;
  private readonly outage: OutageLog;
  private readonly attrs: OtelAttributes;

  constructor(
    private readonly store: BaselineStore,
    readonly sink: GroupingSink,
    private readonly opts: PumpOptions,
    private readonly telemetry: Telemetry,
    private readonly groupsSent: Counter,
    private readonly logger: Logger,
  ) {
    this.buffer = new GroupBuffer(sink.grouping);
    this.leaseName = sinkLeaseName(sink.name);
    this.claimLeaseMs = sink.grouping.waitMs + opts.leaseMs;
    this.attempts = new BoundedAttempts(opts.timeoutMs);
    this.outage = new OutageLog(logger, sink.name);
    this.attrs = { sink: sink.name };
  }

  /** Check the lease, claim, send what is due. Cheap to call often: cycles are serialised. */
  kick(): void {
    if (this.stopping) return;
    if (this.cycling !== null) {
      this.again = true;
      return;
    }
    this.cycling = this.cycle().finally(() => {
      this.cycling = null;
      if (this.again) this.kick();
      else this.schedule();
    });
  }

  /**
   * Stop claiming; hand held entries and the sink's lease back at once (another replica, or
   * this one after a restart, sends them when due: the wait counts from their enqueue time);
   * wait up to `drainMs` for groups being sent, then abort them and release their entries.
   */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    this.again = false;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const deadline = Date.now() + drainMs;
    await this.settleWithin(deadline, () => (this.cycling === null ? [] : [this.cycling]));
    const held = this.buffer.takeAll();
    await Promise.all(held.map((h) => this.release(h.entry)));
    if (held.length > 0) this.logger.info({ sink: this.sink.name, alerts: held.length }, 'alerts waiting for their group handed back to the outbox');
    if (this.holding) {
      this.holding = false;
      await this.store.releaseLease(this.leaseName, this.opts.consumerId).catch((err: unknown) => this.outage.failed('releaseLease', err));
    }
    if (await this.settleWithin(deadline, () => [...this.sending])) return;
    this.logger.warn({ sink: this.sink.name, inflight: this.sending.size }, 'drain deadline passed; aborting group deliveries in flight');
    this.aborting = true;
    this.attempts.abortAll();
    await this.settleWithin(Date.now() + ABORT_GRACE_MS, () => [...this.sending]);
  }

  private async settleWithin(deadline: number, pending: () => Promise<void>[]): Promise<boolean> {
    for (let p = pending(); p.length > 0; p = pending()) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, left)));
      await Promise.race([Promise.allSettled(p), expired]);
      clearTimeout(timer);
    }
    return true;
  }

  private async cycle(): Promise<void> {
    do {
      this.again = false;
      await this.checkLease();
      if (this.holding && !this.stopping) await this.claim();
      this.flush();
    } while (this.again && !this.stopping);
  }

  /** Take or renew the sink's lease: renewed at a third of its length, tried about once per tick otherwise. */
  private async checkLease(): Promise<void> {
    const now = Date.now();
    const every = this.holding ? this.opts.sinkLeaseMs / 3 : this.opts.pollIntervalMs / 2;
    if (this.stopping || now - this.leaseCheckedMs < every) return;
    this.leaseCheckedMs = now;
    let held = false;
    try {
      held = await this.store.acquireLease(this.leaseName, this.opts.consumerId, this.opts.sinkLeaseMs);
      this.outage.recovered();
    } catch (err) {
      // Unknown whether it is still ours: stop claiming; entries already held keep their own leases.
      this.outage.failed('acquireLease', err);
    }
    if (held && !this.holding) this.logger.info({ sink: this.sink.name }, 'delivering the grouped sink (holding its lease)');
    if (!held && this.holding) this.logger.info({ sink: this.sink.name }, 'grouped sink lease lost; another replica delivers it');
    this.holding = held;
  }

  private async claim(): Promise<void> {
    for (;;) {
      const room = Math.min(CLAIM_BATCH, MAX_HELD - this.buffer.size);
      if (room <= 0) return;
      const claimedAt = Date.now();
      let entries: OutboxEntry[];
      try {
        entries = await this.store.claimAlerts(this.sink.name, this.opts.consumerId, room, this.claimLeaseMs);
        this.outage.recovered();
      } catch (err) {
        this.outage.failed('claimAlerts', err);
        return;
      }
      if (this.stopping) {
        await Promise.all(entries.map((e) => this.release(e)));
        return;
      }
      const skipped: string[] = [];
      for (const entry of entries) {
        const alert = completeAlert(entry.draft, entry.previousSeenMs);
        if (this.sink.accepts !== undefined && !this.sink.accepts(alert)) skipped.push(entry.alertId);
        else this.buffer.add(entry, alert, claimedAt + this.claimLeaseMs, Date.now());
      }
      if (entries.length > 0) this.logger.debug({ sink: this.sink.name, claimed: entries.length, held: this.buffer.size }, 'alerts held for their group');
      if (skipped.length > 0) {
        // Not for this sink (its protocol/cluster filter): leave its queue at once, not counted as sent.
        this.logger.debug({ sink: this.sink.name, alerts: skipped.length }, 'alerts filtered out by the sink');
        await this.record('ackAlerts', () => this.store.ackAlerts(this.sink.name, skipped));
      }
      if (entries.length < room) return;
    }
  }

  private flush(): void {
    if (this.stopping) return;
    const free = this.opts.concurrency - this.sending.size;
    if (free <= 0) return;
    for (const group of this.buffer.takeDue(Date.now(), free)) {
      const p: Promise<void> = this.send(group)
        .catch((err: unknown) => this.logger.error({ sink: this.sink.name, err }, 'alert group delivery crashed'))
        .finally(() => {
          this.sending.delete(p);
          this.kick();
        });
      this.sending.add(p);
    }
  }

  /** Wake up when the next group comes due (a finishing send wakes the pump too). */
  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const next = this.buffer.nextDueMs();
    if (this.stopping || next === null || this.sending.size >= this.opts.concurrency) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  private async send(held: HeldGroup): Promise<void> {
    const now = Date.now();
    // An entry whose lease could end mid-delivery may be claimed by another consumer: leave it to the outbox.
    const items = held.items.filter((h) => h.leaseEndsMs > now + this.opts.timeoutMs);
    if (items.length < held.items.length) {
      this.logger.warn({ sink: this.sink.name, alerts: held.items.length - items.length }, 'outbox lease of waiting alerts ran out; leaving them to the next claim');
    }
    if (items.length === 0) return;
    const group = makeGroup(this.sink.name, this.sink.grouping.by, items.map((h) => h.alert));
    const ids = items.map((h) => h.entry.alertId);
    const log = { sink: this.sink.name, groupId: group.id, alerts: ids.length, keys: group.keys };
    const result = await this.attempts.run((signal) => this.sink.deliverGroup(group, signal));
    if (result.kind === 'success') {
      if (result.skipped === true) {
        this.logger.debug(log, 'alert group filtered out by the sink');
      } else {
        this.delivered(items);
        this.logger.info(log, 'alert group delivered');
      }
      return this.record('ackAlerts', () => this.store.ackAlerts(this.sink.name, ids));
    }
    if (result.kind === 'failure') return this.failAll(items, result.error, log);
    if (this.aborting) {
      await Promise.all(items.map((h) => this.release(h.entry)));
      return;
    }
    await this.retryAll(items, result.error, result.retryAfterMs, log);
  }

  private delivered(items: HeldEntry[]): void {
    const now = Date.now();
    this.groupsSent.add(1, this.attrs);
    this.telemetry.alertsSent.add(items.length, this.attrs);
    for (const h of items) {
      const detectedMs = Date.parse(h.alert.detected_at);
      if (Number.isFinite(detectedMs)) this.telemetry.alertLatency.record(Math.max(0, now - detectedMs) / 1000, this.attrs);
    }
  }

  private async failAll(items: HeldEntry[], error: string, log: object): Promise<void> {
    this.telemetry.alertsFailed.add(items.length, this.attrs);
    this.logger.error({ ...log, error }, 'alert group delivery failed for good');
    await Promise.all(items.map((h) => this.record('failAlert', () => this.store.failAlert(this.sink.name, h.entry.alertId, error))));
  }

  /** Every entry of the group back to the outbox with one backoff draw, so they come due (and regroup) together. */
  private async retryAll(items: HeldEntry[], error: string, retryAfterMs: number | undefined, log: object): Promise<void> {
    const draw = Math.random();
    const nowMs = Date.now();
    let retried = 0;
    await Promise.all(
      items.map((h) => {
        const plan = planRetry({
          attempt: h.entry.attempts + 1,
          createdMs: h.entry.createdMs,
          nowMs,
          deadlineMs: this.opts.deadlineMs,
          retryAfterMs,
          backoff: this.opts.backoff,
          random: () => draw,
        });
        if (plan.kind === 'give-up') {
          this.telemetry.alertsFailed.add(1, this.attrs);
          this.logger.error({ sink: this.sink.name, alertId: h.entry.alertId, error: `${error} (${plan.reason})` }, 'alert delivery failed for good');
          return this.record('failAlert', () => this.store.failAlert(this.sink.name, h.entry.alertId, `${error} (${plan.reason})`));
        }
        retried += 1;
        return this.record('retryAlert', () => this.store.retryAlert(this.sink.name, h.entry.alertId, plan.retryAtMs, error));
      }),
    );
    if (retried > 0) {
      this.telemetry.alertsRetried.add(retried, this.attrs);
      this.logger.warn({ ...log, error, retried }, 'alert group delivery will be retried');
    }
  }

  /** Hand an entry back at once (shutdown) so another consumer need not wait for its lease. */
  private release(entry: OutboxEntry): Promise<void> {
    return this.record('retryAlert', () => this.store.retryAlert(this.sink.name, entry.alertId, Date.now(), 'interrupted: dispatcher stopped'));
  }

  /** A store write after delivery; if it fails the entry's lease runs out and it is sent again. */
  private async record(op: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
      this.outage.recovered();
    } catch (err) {
      this.outage.failed(op, err);
    }
  }
}
