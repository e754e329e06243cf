import type { DeliveryResult } from './sink';

const TIMEOUT = Symbol('timeout');

/**
 * Runs sink calls bounded by a timeout even if the sink ignores its signal, so a delivery slot
 * is always freed before the outbox lease (longer than the timeout) lets another consumer claim.
 * Keeps one AbortController per call (not listeners on a shared signal: those would pile up).
 */
export class BoundedAttempts {
  private readonly controllers = new Set<AbortController>();

  constructor(private readonly timeoutMs: number) {}

  async run(call: (signal: AbortSignal) => Promise<DeliveryResult>): Promise<DeliveryResult> {
    const ctl = new AbortController();
    this.controllers.add(ctl);
    const timer = setTimeout(() => ctl.abort(TIMEOUT), this.timeoutMs);
    const aborted = new Promise<DeliveryResult>((resolve) => {
      ctl.signal.addEventListener('abort', () => {
        const timedOut = ctl.signal.reason === TIMEOUT;
        resolve({ kind: 'retryable', error: timedOut ? `timeout after ${this.timeoutMs} ms` : 'aborted: dispatcher stopping' });
      });
    });
    try {
      const delivered = call(ctl.signal).catch(
        (err: unknown): DeliveryResult => ({ kind: 'retryable', error: `sink threw: ${err instanceof Error ? err.message : String(err)}` }),
      );
      return await Promise.race([delivered, aborted]);
    } finally {
      clearTimeout(timer);
      this.controllers.delete(ctl);
    }
  }

  /** Shutdown past the drain deadline: every call in flight resolves as retryable at once. */
  abortAll(): void {
    for (const ctl of this.controllers) ctl.abort();
  }
}
