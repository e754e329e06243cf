import type { Attributes as OtelAttributes } from '@opentelemetry/api';
import { completeAlert, type Alert } from '../core/alert';
import type { BaselineStore, OutboxEntry } from '../store/store';
import type { Telemetry } from '../telemetry/metrics';
import type { Logger } from '../telemetry/logger';
import type { BackoffOptions } from './backoff';
import { BoundedAttempts } from './bounded-attempt';
import { OutageLog } from './outage-log';
import { planRetry } from './retry-policy';
import type { Sink } from './sink';

export interface PumpOptions {
  consumerId: string;
  concurrency: number;
  deadlineMs: number;
  timeoutMs: number;
  leaseMs: number;
  backoff: BackoffOptions;
  /** Poll tick of the dispatcher (grouping pumps check their sink lease about this often). */
  pollIntervalMs: number;
  /** Lease of a grouped sink (one replica delivers it at a time); renewed while held. */
  sinkLeaseMs: number;
}

/** What the dispatcher drives: one per sink. */
export interface Pump {
  readonly sink: Sink;
  kick(): void;
  stop(drainMs: number): Promise<void>;
}

/** How long aborted deliveries get to release their entries once the drain deadline passed. */
export const ABORT_GRACE_MS = 1_000;

/**
 * Moves one sink's entries from the outbox to the sink: claims only as many entries as there
 * are free delivery slots (nothing claimed ever waits in memory), delivers them concurrently,
 * and records each outcome in the store. One pump per sink, so a slow sink never holds up another.
 */
export class SinkPump implements Pump {
  private readonly inflight = new Set<Promise<void>>();
  private claiming: Promise<void> | null = null;
  /** A wake-up arrived while a claim was running: claim again once it ends. */
  private again = false;
  /** The last claim filled every free slot, so more may be due as soon as a slot frees. */
  private maybeMore = false;
  private stopping = false;
  /** Set once the drain deadline passed; deliveries still running are being aborted. */
  private aborting = false;
  private readonly attempts: BoundedAttempts;
  private readonly outage: OutageLog;
  private readonly attrs: OtelAttributes;

  constructor(
    private readonly store: BaselineStore,
    readonly sink: Sink,
    private readonly opts: PumpOptions,
    private readonly telemetry: Telemetry,
    private readonly logger: Logger,
  ) {
    this.attrs = { sink: sink.name };
    this.attempts = new BoundedAttempts(opts.timeoutMs);
    this.outage = new OutageLog(logger, sink.name);
  }

  /** Claim now (notify, poll tick, freed slot). Cheap to call often: claims are serialised. */
  kick(): void {
    if (this.stopping) return;
    if (this.claiming !== null) {
      this.again = true;
      return;
    }
    this.claiming = this.claimLoop().finally(() => {
      this.claiming = null;
      if (this.again) this.kick();
    });
  }

  /** Stop claiming; wait for deliveries up to `drainMs`, then abort them and release their entries. */
  async stop(drainMs: number): Promise<void> {
    this.stopping = true;
    this.again = false;
    if (await this.settleWithin(Date.now() + drainMs)) return;
    this.logger.warn({ sink: this.sink.name, inflight: this.inflight.size }, 'drain deadline passed; aborting deliveries in flight');
    this.aborting = true;
    this.attempts.abortAll();
    await this.settleWithin(Date.now() + ABORT_GRACE_MS);
  }

  private async settleWithin(deadline: number): Promise<boolean> {
    while (this.claiming !== null || this.inflight.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, left)));
      await Promise.race([Promise.allSettled([this.claiming, ...this.inflight]), expired]);
      clearTimeout(timer);
    }
    return true;
  }

  private async claimLoop(): Promise<void> {
    do {
      this.again = false;
      const free = this.opts.concurrency - this.inflight.size;
      if (free <= 0) {
        this.maybeMore = true;
        return;
      }
      let entries: OutboxEntry[];
      try {
        entries = await this.store.claimAlerts(this.sink.name, this.opts.consumerId, free, this.opts.leaseMs);
        this.outage.recovered();
      } catch (err) {
        // The poll tick claims again; a wake-up during this claim must not spin on a dead store.
        this.again = false;
        this.outage.failed('claimAlerts', err);
        return;
      }
      if (this.stopping) {
        await Promise.all(entries.map((e) => this.release(e)));
        return;
      }
      for (const entry of entries) this.start(entry);
      this.maybeMore = entries.length === free;
    } while (this.again && !this.stopping);
  }

  private start(entry: OutboxEntry): void {
    const p: Promise<void> = this.deliverOne(entry)
      .catch((err: unknown) => this.logger.error({ sink: this.sink.name, alertId: entry.alertId, err }, 'alert delivery crashed'))
      .finally(() => {
        this.inflight.delete(p);
        if (this.maybeMore) this.kick();
      });
    this.inflight.add(p);
  }

  private async deliverOne(entry: OutboxEntry): Promise<void> {
    const alert = completeAlert(entry.draft, entry.previousSeenMs);
    const result = await this.attempts.run((signal) => this.sink.deliver(alert, signal));
    if (result.kind === 'success' && result.skipped === true) return this.skipped(entry);
    if (result.kind === 'success') return this.succeeded(entry, alert);
    if (result.kind === 'failure') return this.failed(entry, result.error);
    if (this.aborting) return this.release(entry);
    const plan = planRetry({
      attempt: entry.attempts + 1,
      createdMs: entry.createdMs,
      nowMs: Date.now(),
      deadlineMs: this.opts.deadlineMs,
      retryAfterMs: result.retryAfterMs,
      backoff: this.opts.backoff,
    });
    if (plan.kind === 'give-up') return this.failed(entry, `${result.error} (${plan.reason})`);
    const log = { sink: this.sink.name, alertId: entry.alertId, attempt: entry.attempts + 1, error: result.error };
    this.logger.warn({ ...log, retryInMs: plan.retryAtMs - Date.now() }, 'alert delivery will be retried');
    this.telemetry.alertsRetried.add(1, this.attrs);
    await this.record('retryAlert', entry, () => this.store.retryAlert(this.sink.name, entry.alertId, plan.retryAtMs, result.error));
  }

  private async succeeded(entry: OutboxEntry, alert: Alert): Promise<void> {
    const now = Date.now();
    this.telemetry.alertsSent.add(1, this.attrs);
    const detectedMs = Date.parse(alert.detected_at);
    if (Number.isFinite(detectedMs)) this.telemetry.alertLatency.record(Math.max(0, now - detectedMs) / 1000, this.attrs);
    this.logger.debug({ sink: this.sink.name, alertId: entry.alertId }, 'alert delivered');
    await this.record('ackAlerts', entry, () => this.store.ackAlerts(this.sink.name, [entry.alertId]));
  }

  /** Not for this sink (its protocol/cluster filter): leaves the sink's queue, not counted as sent. */
  private async skipped(entry: OutboxEntry): Promise<void> {
    this.logger.debug({ sink: this.sink.name, alertId: entry.alertId }, 'alert filtered out by the sink');
    await this.record('ackAlerts', entry, () => this.store.ackAlerts(this.sink.name, [entry.alertId]));
  }

  private async failed(entry: OutboxEntry, error: string): Promise<void> {
    this.telemetry.alertsFailed.add(1, this.attrs);
    this.logger.error({ sink: this.sink.name, alertId: entry.alertId, attempts: entry.attempts + 1, error }, 'alert delivery failed for good');
    await this.record('failAlert', entry, () => this.store.failAlert(this.sink.name, entry.alertId, error));
  }

  /** Hand an entry back at once (shutdown) so another consumer need not wait for the lease. */
  private async release(entry: OutboxEntry): Promise<void> {
    await this.record('retryAlert', entry, () => this.store.retryAlert(this.sink.name, entry.alertId, Date.now(), 'interrupted: dispatcher stopped'));
  }

  /** A store write after delivery; if it fails the lease expires and the entry is tried again. */
  private async record(op: string, entry: OutboxEntry, write: () => Promise<void>): Promise<void> {
    try {
      await write();
      this.outage.recovered();
    } catch (err) {
      this.outage.failed(op, err, entry.alertId);
    }
  }
}
