import type { Alert } from '../core/alert';
import { isTrafficAlertRule } from '../core/traffic-rules';
import type { Logger } from '../telemetry/logger';
import type { DeliveryResult, Sink } from './sink';

/** The log line's message: traffic-anomaly alerts say so; new edges and storm summaries stay 'new edge'. */
function logMessage(alert: Alert): string {
  return isTrafficAlertRule(alert.rule) ? 'anomalous traffic' : 'new edge';
}

/**
 * Writes each alert as one JSON log line at warn. The sink used when no webhook is configured,
 * so that a default run still shows its alerts.
 */
export class LogSink implements Sink {
  readonly name = 'log';
  constructor(private readonly logger: Logger) {}

  async deliver(alert: Alert): Promise<DeliveryResult> {
    this.logger.warn({ alert }, logMessage(alert));
    return { kind: 'success' };
  }
}
