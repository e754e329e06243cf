import type { Logger } from '../telemetry/logger';

/** Logs an outbox outage once (not once per tick) and its end, for one sink's pump. */
export class OutageLog {
  private down = false;

  constructor(
    private readonly logger: Logger,
    private readonly sink: string,
  ) {}

  failed(op: string, err: unknown, alertId?: string): void {
    const fields = { sink: this.sink, op, alertId, err };
    if (this.down) return this.logger.debug(fields, 'outbox still unavailable');
    this.down = true;
    this.logger.error(fields, 'outbox unavailable; retrying on the next tick');
  }

  recovered(): void {
    if (!this.down) return;
    this.down = false;
    this.logger.info({ sink: this.sink }, 'outbox reachable again');
  }
}
