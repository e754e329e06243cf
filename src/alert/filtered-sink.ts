import type { Alert } from '../core/alert';
import type { Protocol } from '../core/observation';
import { compilePatterns, type ValueMatcher } from '../detect/pattern';
import type { AlertGroup, GroupingSpec } from './alert-group';
import type { DeliveryResult, Sink } from './sink';

export interface SinkFilter {
  protocols?: readonly Protocol[];
  /** Globs or /regexes/ of cluster names. */
  clusters?: readonly string[];
}

/** Whether `alert` passes `filter`; exported for tests and for the README's examples. */
export function compileSinkFilter(filter: SinkFilter): (alert: Alert) => boolean {
  const protocols = filter.protocols;
  const cluster: ValueMatcher | null = filter.clusters === undefined ? null : compilePatterns(filter.clusters);
  return (alert) => {
    if (cluster !== null && !cluster(alert.cluster)) return false;
    if (protocols === undefined) return true;
    if (alert.protocol !== null) return protocols.includes(alert.protocol);
    // A storm summary spanning both protocols: wanted if it held back edges of a wanted protocol.
    const by = alert.held_back_by_protocol ?? {};
    return protocols.some((p) => (by[p] ?? 0) > 0);
  };
}

/**
 * A sink that only sends the alerts its filter wants and acknowledges the others as delivered
 * without sending (`skipped`). Filtering at delivery, not at enqueue, keeps the outbox the same
 * for every sink and store: each alert still gets one entry per sink, settled either way.
 */
export class FilteredSink implements Sink {
  readonly name: string;
  readonly grouping?: GroupingSpec;
  private readonly wants: (alert: Alert) => boolean;

  constructor(
    private readonly inner: Sink,
    filter: SinkFilter,
  ) {
    this.name = inner.name;
    this.grouping = inner.grouping;
    this.wants = compileSinkFilter(filter);
  }

  accepts(alert: Alert): boolean {
    return this.wants(alert) && (this.inner.accepts?.(alert) ?? true);
  }

  async deliver(alert: Alert, signal: AbortSignal): Promise<DeliveryResult> {
    if (!this.wants(alert)) return { kind: 'success', skipped: true };
    return this.inner.deliver(alert, signal);
  }

  /** The grouping pump asks accepts() before holding an alert; this filter is the safety net. */
  async deliverGroup(group: AlertGroup, signal: AbortSignal): Promise<DeliveryResult> {
    const alerts = group.alerts.filter(this.wants);
    if (alerts.length === 0) return { kind: 'success', skipped: true };
    if (this.inner.deliverGroup === undefined) return { kind: 'failure', error: `sink ${this.name} does not group` };
    return this.inner.deliverGroup(alerts.length === group.alerts.length ? group : { ...group, alerts }, signal);
  }
}
