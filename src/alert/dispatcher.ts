import type { Lifecycle } from '../core/stage';
import { ConfigError } from '../core/errors';
import type { BaselineStore } from '../store/store';
import type { Telemetry } from '../telemetry/metrics';
import type { Logger } from '../telemetry/logger';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff';
import { GroupingPump } from './grouping-pump';
import { isGroupingSink, type Sink } from './sink';
import { SinkPump, type Pump } from './sink-pump';

export interface DispatcherOptions {
  /** Unique per process (and per replica): leases in the outbox are held in its name. */
  consumerId: string;
  /** Deliveries in flight at most, per sink. */
  concurrency: number;
  /** A retryable delivery is retried until this long after the alert was enqueued. */
  deadlineMs: number;
  /** Bound of one delivery attempt. */
  timeoutMs: number;
  /** How often due retries and expired leases of dead consumers are picked up. Default 1 s. */
  pollIntervalMs?: number;
  /** Lease of a claimed entry; must exceed timeoutMs. Default timeoutMs + max(5 s, timeoutMs). */
  leaseMs?: number;
  /** Lease of a grouped sink in the store (one replica delivers it); renewed while held. Default max(10 s, 5 poll intervals). */
  sinkLeaseMs?: number;
  backoff?: Partial<BackoffOptions>;
}

const DEFAULT_POLL_MS = 1_000;
const MIN_SINK_LEASE_MS = 10_000;
const DEFAULT_DRAIN_MS = 5_000;

/**
 * Delivers the alert outbox to the sinks; one per process. The detector calls notify() after
 * enqueueing, which claims at once: that keeps alert latency in milliseconds. A slow poll
 * catches what no notify announces (retries coming due, entries of a consumer that died).
 */
export class AlertDispatcher implements Lifecycle {
  private readonly pumps: Pump[];
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly pollIntervalMs: number;

  constructor(
    private readonly store: BaselineStore,
    sinks: Sink[],
    opts: DispatcherOptions,
    telemetry: Telemetry,
    private readonly logger: Logger,
  ) {
    const leaseMs = opts.leaseMs ?? opts.timeoutMs + Math.max(5_000, opts.timeoutMs);
    if (!Number.isInteger(opts.concurrency) || opts.concurrency < 1) throw new ConfigError('delivery_concurrency', 'a positive integer', opts.concurrency);
    if (!(opts.timeoutMs > 0)) throw new ConfigError('webhook_timeout', 'a duration greater than 0', opts.timeoutMs);
    // A lease that could end while its delivery still runs would let a second consumer send it too.
    if (!(leaseMs > opts.timeoutMs)) throw new ConfigError('leaseMs', `a lease longer than the delivery timeout (${opts.timeoutMs} ms)`, leaseMs);
    const names = sinks.map((s) => s.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) throw new ConfigError('sinks', 'sinks with distinct names', dup);
    this.pollIntervalMs = opts.pollIntervalMs ?? DEFAULT_POLL_MS;
    const sinkLeaseMs = opts.sinkLeaseMs ?? Math.max(MIN_SINK_LEASE_MS, 5 * this.pollIntervalMs);
    // Renewed about once per poll tick; a lease shorter than a few ticks would flap between replicas.
    if (!(sinkLeaseMs > 2 * this.pollIntervalMs)) throw new ConfigError('sinkLeaseMs', `a lease longer than two poll intervals (${2 * this.pollIntervalMs} ms)`, sinkLeaseMs);
    const pumpOpts = {
      consumerId: opts.consumerId,
      concurrency: opts.concurrency,
      deadlineMs: opts.deadlineMs,
      timeoutMs: opts.timeoutMs,
      leaseMs,
      backoff: { ...DEFAULT_BACKOFF, ...opts.backoff },
      pollIntervalMs: this.pollIntervalMs,
      sinkLeaseMs,
    };
    const groupsSent = telemetry.provider.getMeter('edgewatch').createCounter('edgewatch_alert_groups_sent', { description: 'Grouped notifications delivered, by sink' });
    this.pumps = sinks.map((sink): Pump => {
      if (!isGroupingSink(sink)) return new SinkPump(store, sink, pumpOpts, telemetry, logger);
      // A wait as long as the deadline would leave a failed group no retry at all.
      if (!(sink.grouping.waitMs < opts.deadlineMs)) throw new ConfigError(`group_wait of sink ${sink.name}`, `shorter than delivery_deadline (${opts.deadlineMs} ms)`, sink.grouping.waitMs);
      return new GroupingPump(store, sink, pumpOpts, telemetry, groupsSent, logger);
    });
    telemetry.gauge('edgewatch_alerts_pending', 'Alert deliveries waiting in the outbox, by sink', async () => {
      const { pending } = await this.store.outboxStats();
      const counts = new Map<string, number>(names.map((n) => [n, 0]));
      for (const [sink, n] of Object.entries(pending)) counts.set(sink, n);
      return [...counts].map(([sink, n]) => [n, { sink }]);
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.timer = setInterval(() => this.wake(), this.pollIntervalMs);
    this.timer.unref();
    const grouped = this.pumps.filter((p) => p.sink.grouping !== undefined).map((p) => ({ sink: p.sink.name, ...p.sink.grouping }));
    this.logger.info({ sinks: this.pumps.map((p) => p.sink.name), grouped }, 'alert dispatcher started');
    this.wake();
  }

  /** New alerts are in the outbox: claim them now rather than at the next poll. */
  notify(): void {
    if (this.running) this.wake();
  }

  /**
   * Stop claiming and wait up to `drainDeadlineMs` for deliveries in flight; then abort them and
   * hand their entries back. Everything not delivered stays in the outbox for the next consumer.
   */
  async stop(drainDeadlineMs = DEFAULT_DRAIN_MS): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.pumps.map((p) => p.stop(drainDeadlineMs)));
    this.logger.info('alert dispatcher stopped');
  }

  private wake(): void {
    for (const pump of this.pumps) pump.kick();
  }
}
