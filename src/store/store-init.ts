import { StoreUnavailableError } from '../core/errors';
import type { Logger } from '../telemetry/logger';
import type { BaselineStore } from './store';

/**
 * Initialises the store without making its availability a start-up condition: when the store
 * (Redis) is unreachable the service still starts, answers OTLP with UNAVAILABLE and /readyz
 * with 503, and keeps retrying here until the store answers; no restart needed.
 */
export class StoreInit {
  private ready = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly listeners: Array<() => void> = [];

  constructor(
    private readonly store: BaselineStore,
    private readonly sinks: string[],
    private readonly logger: Logger,
    private readonly retryMs = 1000,
  ) {}

  get isReady(): boolean {
    return this.ready;
  }

  onReady(fn: () => void): void {
    if (this.ready) fn();
    else this.listeners.push(fn);
  }

  /** First attempt; resolves either way unless the failure is permanent (bad config). */
  async start(): Promise<void> {
    await this.attempt(true);
  }

  /** Throws StoreUnavailableError while the store has not been initialised. */
  check(): void {
    if (!this.ready) throw new StoreUnavailableError(`${this.store.kind} store is not reachable yet`);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async attempt(first: boolean): Promise<void> {
    try {
      await this.store.init(this.sinks);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      if (first) this.logger.warn({ err: err.message, retryMs: this.retryMs }, 'store unreachable; starting anyway and retrying');
      if (!this.stopped) {
        this.timer = setTimeout(() => void this.attempt(false).catch((e: unknown) => this.logger.error({ err: e }, 'store init failed for good')), this.retryMs);
        this.timer.unref();
      }
      return;
    }
    this.ready = true;
    if (!first) this.logger.info('store reachable; initialised');
    for (const fn of this.listeners.splice(0)) fn();
  }
}
