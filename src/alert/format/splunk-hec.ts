import { STORM_RULE, type Alert } from '../../core/alert';
import { isTrafficAlertRule, TRAFFIC_RULES } from '../../core/traffic-rules';
import type { AlertGroup } from '../alert-group';
import { groupRequest, jsonRequest, type RenderedRequest } from '../http-sink';

export const DEFAULT_SOURCETYPE = 'edgewatch:alert';
export const HEC_EVENT_PATH = '/services/collector/event';

export interface HecOptions {
  index?: string;
  sourcetype?: string;
  source?: string;
}

/** The Splunk search each rule streams (its `search_name`, so ES correlation finds it). */
const SEARCH_NAMES: Record<string, string> = {
  kubernetes_newly_seen_tcp_edge: 'Kubernetes newly seen TCP edge',
  kubernetes_newly_seen_udp_edge: 'Kubernetes newly seen UDP edge',
  ...Object.fromEntries(Object.values(TRAFFIC_RULES).map((r) => [r.rule, r.name])),
};

/** HEC envelope (docs: "Format events for HTTP Event Collector"). */
export interface HecEnvelope {
  time: number;
  host: string;
  source: string;
  sourcetype: string;
  index?: string;
  event: Record<string, unknown>;
}

function epochSeconds(iso: string): number {
  return Date.parse(iso) / 1000;
}

/**
 * The event: first the columns the original search outputs (`host` — it renames
 * k8s.cluster.name —, source.workload.name, dest.workload.name, <proto>.packets_count, current),
 * so dashboards and correlation searches built on it keep working; then the contract's alert
 * fields, so nothing the webhook carries is lost. `tcp.packets_count` is 1: edgewatch alerts on
 * the first data point, the search counted an hour of them.
 */
export function hecEvent(a: Alert): Record<string, unknown> {
  if (isTrafficAlertRule(a.rule)) return trafficEvent(a);
  const searchColumns: Record<string, unknown> = {
    host: a.cluster,
    'k8s.cluster.name': a.cluster,
    'source.workload.name': a.source.workload,
    'dest.workload.name': a.dest.workload,
    current: 'True',
  };
  if (a.protocol !== null) searchColumns[`${a.protocol}.packets_count`] = a.rule === STORM_RULE ? (a.held_back ?? 0) : 1;
  if (a.source.namespace !== null) searchColumns['source.namespace.name'] = a.source.namespace;
  if (a.dest.namespace !== null) searchColumns['dest.namespace.name'] = a.dest.namespace;
  const first = Math.floor(epochSeconds(a.first_seen));
  return {
    ...searchColumns,
    search_name: SEARCH_NAMES[a.rule] ?? 'Kubernetes newly seen edge storm',
    message: a.title,
    firstTime: first,
    lastTime: first,
    ...a,
  };
}

/**
 * A traffic-anomaly alert's event: the columns its search outputs (the group-by fields, `count`
 * and `anomalies` — the messages), then the alert fields (the anomalies with their numbers).
 */
function trafficEvent(a: Alert): Record<string, unknown> {
  const anomalies = a.anomalies ?? [];
  const columns: Record<string, unknown> = { host: a.cluster, 'k8s.cluster.name': a.cluster };
  if (a.source.workload !== '*') columns['source.workload.name'] = a.source.workload;
  if (a.dest.workload !== '*') columns['dest.workload.name'] = a.dest.workload;
  if (a.process !== undefined) columns[`${a.process.side}.process.name`] = a.process.name;
  columns.count = anomalies.length;
  const times = anomalies.map((x) => Math.floor(epochSeconds(x.bucket_start)));
  const first = Math.floor(epochSeconds(a.first_seen));
  return {
    ...columns,
    search_name: SEARCH_NAMES[a.rule],
    message: a.title,
    firstTime: first,
    lastTime: times.length > 0 ? Math.max(...times) : first,
    ...a,
    // The search's `values(anomalies)`: the messages; the alert's own objects stay under anomaly_details.
    anomalies: anomalies.map((x) => x.message),
    anomaly_details: anomalies,
  };
}

export function hecEnvelope(a: Alert, opts: HecOptions): HecEnvelope {
  const env: HecEnvelope = {
    time: epochSeconds(a.first_seen),
    host: a.cluster,
    source: opts.source ?? 'edgewatch',
    sourcetype: opts.sourcetype ?? DEFAULT_SOURCETYPE,
    event: hecEvent(a),
  };
  if (opts.index !== undefined) env.index = opts.index;
  return env;
}

export function renderHec(alert: Alert, opts: HecOptions): RenderedRequest {
  return jsonRequest(hecEnvelope(alert, opts), alert.id);
}

/** A group as one HEC batch: the events' envelopes back to back in one POST (HEC reads them in turn). */
export function renderHecGroup(group: AlertGroup, opts: HecOptions): RenderedRequest {
  return groupRequest(group.alerts.map((a) => JSON.stringify(hecEnvelope(a, opts))).join('\n'), group);
}
