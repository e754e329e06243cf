import type { Alert } from '../core/alert';
import type { Logger } from '../telemetry/logger';
import type { DeliveryResult, Sink } from './sink';

/**
 * Writes each alert as one JSON log line at warn. The sink used when no webhook is configured,
 * so that a default run still shows its alerts.
 */
export class LogSink implements Sink {
  readonly name = 'log';
  constructor(private readonly logger: Logger) {}

  async deliver(alert: Alert): Promise<DeliveryResult> {
    this.logger.warn({ alert }, 'new edge');
    return { kind: 'success' };
  }
}
