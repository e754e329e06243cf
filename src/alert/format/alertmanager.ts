import { STORM_RULE, type Alert } from '../../core/alert';
import { isTrafficAlertRule } from '../../core/traffic-rules';
import type { AlertGroup } from '../alert-group';
import { groupRequest, jsonRequest, type RenderedRequest } from '../http-sink';

export const ALERTMANAGER_PATH = '/api/v2/alerts';
export const DEFAULT_SEVERITY = 'warning';

export interface AlertmanagerOptions {
  /** Set: every alert of the sink carries this `severity` label. Unset: the alert's own severity (or DEFAULT_SEVERITY). */
  severity?: string;
  /** Extra labels on every alert (team, routing keys); never override the built-in ones. */
  labels?: Record<string, string>;
  /** The sink's `generator_url`: every alert's generatorURL. */
  generatorUrl?: string;
  /** When the sink sets none: the alert's own `url` (the edge on the page) first, else this (external_url + /api/v1/alerts). */
  defaultGeneratorUrl?: string;
}

/** One element of the `postableAlerts` array of Alertmanager's v2 API. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  generatorURL?: string;
}

/**
 * Labels identify an alert to Alertmanager (grouping, silences, inhibition), so they hold what
 * a silence would name: rule, cluster, both workloads, the protocol, the context's kind and the
 * severity (the sink's `severity` when set, else the alert's). Everything else is an
 * annotation. No endsAt: Alertmanager resolves the alert after its resolve_timeout, which is
 * what a one-off "first seen" event wants.
 */
export function postableAlert(a: Alert, opts: AlertmanagerOptions): PostableAlert {
  const severity = opts.severity ?? a.severity ?? DEFAULT_SEVERITY;
  const labels: Record<string, string> = { ...opts.labels, alertname: a.rule, cluster: a.cluster, severity };
  const annotations: Record<string, string> = { summary: a.title, alert_id: a.id, first_seen: a.first_seen };
  // A traffic alert's protocol is only its first anomaly's: as a label it would split one key's alerts.
  if (a.protocol !== null && !isTrafficAlertRule(a.rule)) labels.protocol = a.protocol;
  if (isTrafficAlertRule(a.rule)) {
    trafficFields(a, labels, annotations);
  } else if (a.rule === STORM_RULE) {
    // Two summaries of one cluster must stay two alerts, not one updated in place.
    if (a.window_start !== undefined) labels.window_start = a.window_start;
    annotations.description = `${a.held_back ?? 0} new edges in cluster ${a.cluster} raised no alert of their own (storm guard); list them: ${a.list_url ?? ''}`;
    annotations.held_back = String(a.held_back ?? 0);
    if (a.list_url !== undefined) annotations.list_url = a.list_url;
  } else {
    labels.source_workload = a.source.workload;
    labels.dest_workload = a.dest.workload;
    if (a.source.namespace !== null) labels.source_namespace = a.source.namespace;
    if (a.dest.namespace !== null) labels.dest_namespace = a.dest.namespace;
    const ns = (n: string | null): string => (n === null ? '' : ` (namespace ${n})`);
    annotations.description =
      `${a.source.workload}${ns(a.source.namespace)} talked to ${a.dest.workload}${ns(a.dest.namespace)} over ${(a.protocol ?? '').toUpperCase()} ` +
      `for the first time in ${Math.round(a.baseline_window_s / 86_400)} days (cluster ${a.cluster}).`;
    annotations.previous_seen = a.previous_seen ?? 'never';
    if (a.url !== undefined) annotations.url = a.url;
    if (a.context !== undefined) {
      // The kind is what a route or inhibition names (page on new_path, not on a rollout); the rest is detail.
      labels.kind = a.context.kind;
      annotations.source_first_seen = a.context.source_first_seen ?? 'never';
      annotations.dest_first_seen = a.context.dest_first_seen ?? 'never';
      annotations.source_peers = String(a.context.source_peers);
      annotations.dest_peers = String(a.context.dest_peers);
      annotations.cross_namespace = String(a.context.cross_namespace);
    }
  }
  annotations.risk_score = String(a.risk_score);
  if (a.mitre_attack.length > 0) annotations.mitre_attack = a.mitre_attack.join(',');
  const out: PostableAlert = { labels, annotations, startsAt: a.first_seen };
  const generator = opts.generatorUrl ?? a.url ?? opts.defaultGeneratorUrl;
  if (generator !== undefined) out.generatorURL = generator;
  return out;
}

/** Most anomaly messages in the `anomalies` annotation; the alert JSON (webhook, API) has them all. */
const ANNOTATED_ANOMALIES = 20;

/** Labels of a traffic-anomaly alert: the key (workloads, process); the anomalies are annotations. */
function trafficFields(a: Alert, labels: Record<string, string>, annotations: Record<string, string>): void {
  labels.source_workload = a.source.workload;
  labels.dest_workload = a.dest.workload;
  if (a.source.namespace !== null) labels.source_namespace = a.source.namespace;
  if (a.dest.namespace !== null) labels.dest_namespace = a.dest.namespace;
  if (a.process !== undefined) {
    labels.process = a.process.name;
    labels.process_side = a.process.side;
  }
  const anomalies = a.anomalies ?? [];
  const who = a.process !== undefined ? `process ${a.process.name} (${a.process.side === 'dest' ? 'inbound to' : 'outbound from'} ${a.process.side === 'dest' ? a.dest.workload : a.source.workload})` : `${a.source.workload} → ${a.dest.workload}`;
  annotations.description = `${anomalies.length} anomalies within an hour (10 s averages above their baseline mean + k·σ) for ${who} in cluster ${a.cluster}.`;
  annotations.anomalies = anomalies
    .slice(0, ANNOTATED_ANOMALIES)
    .map((x) => `${x.bucket_start} ${x.message} (value ${x.value}, mean ${x.mean}, stdev ${x.stdev})`)
    .join('; ');
  annotations.anomaly_count = String(anomalies.length);
  if (a.rule_id !== undefined) annotations.rule_id = a.rule_id;
  if (a.protocol !== null) annotations.protocol = a.protocol;
}

/** POST /api/v2/alerts takes a list; one alert per request keeps the outbox's one-entry-one-delivery. */
export function renderAlertmanager(alert: Alert, opts: AlertmanagerOptions): RenderedRequest {
  return jsonRequest([postableAlert(alert, opts)], alert.id);
}

/** A group as one POST of its alerts' list (Alertmanager still sees, and may group, each alert). */
export function renderAlertmanagerGroup(group: AlertGroup, opts: AlertmanagerOptions): RenderedRequest {
  return groupRequest(JSON.stringify(group.alerts.map((a) => postableAlert(a, opts))), group);
}
