import { SEVERITIES } from '../core/alert';

/**
 * The one table of configuration options. Each option is a YAML key (file in EDGEWATCH_CONFIG),
 * an environment variable and a `serve` flag; README's table and the Helm values test read it.
 */
/** `count` is an integer ≥ 0 (where 0 means off); `int` is ≥ 1; `number` is a finite number ≥ 0. */
export type OptionType = 'string' | 'duration' | 'int' | 'count' | 'number' | 'bytes' | 'list' | 'enum' | 'addr' | 'secret';

export interface OptionSpec {
  /** Key in the Config object. */
  name: string;
  /** Key in the YAML file. */
  key: string;
  env: string;
  flag: string;
  type: OptionType;
  /** Default in its text form (what a user would write), or undefined for none. */
  default?: string;
  choices?: readonly string[];
  description: string;
}

const opt = (name: string, key: string, type: OptionType, def: string | undefined, description: string, choices?: readonly string[]): OptionSpec => ({
  name,
  key,
  env: `EDGEWATCH_${key.toUpperCase()}`,
  flag: `--${key.replace(/_/g, '-')}`,
  type,
  default: def,
  choices,
  description,
});

export const OPTIONS: readonly OptionSpec[] = [
  opt('otlpGrpcAddr', 'otlp_grpc_addr', 'addr', '0.0.0.0:4317', 'OTLP gRPC listen address (`host:port`).'),
  opt('otlpHttpAddr', 'otlp_http_addr', 'addr', '0.0.0.0:4318', 'OTLP HTTP listen address (`POST /v1/metrics`).'),
  opt('adminAddr', 'admin_addr', 'addr', '0.0.0.0:9464', 'Admin HTTP listen address (`/metrics`, `/healthz`, `/readyz`, `/api/v1/*`).'),
  opt('store', 'store', 'string', 'sqlite:./data/edgewatch.db', 'Baseline store: `sqlite:PATH`, `redis://…`, `rediss://…`, `redis-sentinel://…`, `redis-cluster://h:p,h:p`, `memory:`.'),
  opt('redisPassword', 'redis_password', 'secret', undefined, 'Redis password when not in the store URL.'),
  opt('redisKeyPrefix', 'redis_key_prefix', 'string', 'ew', 'Prefix of every Redis key.'),
  opt('baselineWindowMs', 'baseline_window', 'duration', '30d', 'An edge is new when it was not seen in this window before the point.'),
  opt('detectionWindowMs', 'detection_window', 'duration', '1h', 'Only points newer than now minus this raise alerts; older points only feed the baseline.'),
  opt('learningPeriodMs', 'learning_period', 'duration', '24h', 'No alerts for this long after the first point of a scope (`0` disables).'),
  opt('clockSkewMs', 'clock_skew', 'duration', '5m', 'Points further in the future than this are stamped with the receive time.'),
  opt('baselineScope', 'baseline_scope', 'enum', 'cluster', '`cluster` keys the baseline by cluster; `global` ignores the cluster like the original search.', ['cluster', 'global']),
  opt('metrics', 'metrics', 'list', 'tcp.packets,udp.packets', 'Watched metric names (comma-separated); the protocol is the part before the first dot.'),
  opt('clusterAttr', 'cluster_attr', 'string', 'k8s.cluster.name', 'Attribute holding the cluster name (data point first, then resource).'),
  opt('sourceAttr', 'source_attr', 'string', 'source.workload.name', 'Data point attribute holding the source workload.'),
  opt('destAttr', 'dest_attr', 'string', 'dest.workload.name', 'Data point attribute holding the destination workload.'),
  opt('sourceNamespaceAttr', 'source_namespace_attr', 'string', 'source.namespace.name', 'Data point attribute holding the source namespace.'),
  opt('destNamespaceAttr', 'dest_namespace_attr', 'string', 'dest.namespace.name', 'Data point attribute holding the destination namespace.'),
  opt('trafficMetrics', 'traffic_metrics', 'list', 'tcp.bytes,tcp.packets,tcp.retrans,tcp.syn_timeouts,tcp.new_sockets,tcp.resets,tcp.active,tcp.rtt.average,udp.bytes,udp.packets,udp.drops,udp.active', 'Metrics whose points the traffic-anomaly detections average and baseline (comma-separated; names start with `tcp.` or `udp.`). Read only when a traffic detection is on.'),
  opt('sourceProcessAttr', 'source_process_attr', 'string', 'source.process.name', 'Data point attribute holding the source process (`process_outbound`).'),
  opt('destProcessAttr', 'dest_process_attr', 'string', 'dest.process.name', 'Data point attribute holding the destination process (`process_inbound`).'),
  opt('detections', 'detections', 'list', 'new_edge', 'Detections to run (comma-separated): `new_edge` (the new TCP/UDP edge pair), `edge_traffic`, `process_inbound`, `process_outbound` (the traffic anomalies, README "Anomalous traffic").'),
  opt('trafficMinBaselinePoints', 'traffic_min_baseline_points', 'int', '360', 'Traffic anomalies: no verdict on a metric of a key until its baseline holds this many points (decayed count; 360 = three hours of one point per 30 s).'),
  opt('trafficAnomalySigma', 'traffic_anomaly_sigma', 'number', '3', 'Traffic anomalies: a 10 s bucket is anomalous when its average exceeds the baseline mean by more than this many standard deviations.'),
  opt('trafficMinAnomalies', 'traffic_min_anomalies', 'int', '5', 'Traffic anomalies: a key alerts when it has more than this many anomalous (bucket, metric) pairs within an hour.'),
  opt('trafficStdevFloorRatio', 'traffic_stdev_floor_ratio', 'number', '0.05', 'Traffic anomalies: the standard deviation used is at least this fraction of the mean, so a near-constant baseline does not turn small wiggles into alerts.'),
  opt('trafficMaxKeys', 'traffic_max_keys', 'int', '100000', 'Traffic anomalies: keys kept in process memory at most; points of further keys are dropped (`edgewatch_traffic_keys_dropped_total`) until idle keys (2 h) leave.'),
  opt('webhookUrls', 'webhook_url', 'list', '', 'Webhook URLs (comma-separated) that receive each alert as JSON. Without one, alerts are logged.'),
  opt('webhookSecret', 'webhook_secret', 'secret', undefined, 'HMAC-SHA256 key; when set each POST carries `X-Edgewatch-Signature: sha256=<hex>`.'),
  opt('webhookTimeoutMs', 'webhook_timeout', 'duration', '10s', 'Timeout of one webhook POST.'),
  opt('deliveryDeadlineMs', 'delivery_deadline', 'duration', '24h', 'How long a retryable alert delivery is retried before it is recorded as failed.'),
  opt('deliveryConcurrency', 'delivery_concurrency', 'int', '16', 'Webhook POSTs in flight at most, per sink.'),
  opt('authToken', 'auth_token', 'secret', undefined, 'When set, OTLP requests must carry `Authorization: Bearer <token>`.'),
  opt('maxMessageBytes', 'max_message_size', 'bytes', '64MiB', 'Largest OTLP request accepted (after decompression).'),
  opt('maxInflightRequests', 'max_inflight_requests', 'int', '64', 'OTLP requests processed at once; more are answered UNAVAILABLE / 503.'),
  opt('cacheMaxEdges', 'cache_max_edges', 'int', '1000000', 'Known edges kept in process memory; a miss costs one store lookup.'),
  opt('cacheWarm', 'cache_warm', 'enum', 'true', 'After a start, refill the known-edge cache from the store in the background, most recent edges first (`false`: learn them from traffic, one store lookup each).', ['true', 'false']),
  opt('flushIntervalMs', 'flush_interval', 'duration', '1s', 'How often batched last-seen refreshes are written to the store.'),
  opt('lastSeenResolutionMs', 'last_seen_resolution', 'duration', '5m', 'Granularity of the last-seen the store keeps for a known edge: a point is written only when it opens a new period of this length for its edge, so a busy baseline costs one store write per edge per period, not per point (capped at 1/1000 of `baseline_window`; `0`: write every later point).'),
  opt('pruneIntervalMs', 'prune_interval', 'duration', '10m', 'How often edges older than the baseline window are pruned.'),
  opt('logLevel', 'log_level', 'enum', 'info', 'Log level.', ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
  opt('tlsCertFile', 'tls_cert_file', 'string', undefined, 'PEM certificate (chain) of the OTLP gRPC and HTTP receivers; with `tls_key_file` it turns TLS on. Reloaded when the file changes.'),
  opt('tlsKeyFile', 'tls_key_file', 'string', undefined, 'PEM private key of `tls_cert_file`.'),
  opt('tlsClientCaFile', 'tls_client_ca_file', 'string', undefined, 'PEM CA bundle: when set, OTLP clients must present a certificate it signed (mTLS).'),
  opt('tlsReloadIntervalMs', 'tls_reload_interval', 'duration', '10s', 'How often the TLS files are checked for changes (`0` disables reloading).'),
  opt('selfOtlpEndpoint', 'self_otlp_endpoint', 'string', undefined, "When set, edgewatch's own metrics are also pushed over OTLP/gRPC to this endpoint (`http://collector:4317`)."),
  opt('selfOtlpIntervalMs', 'self_otlp_interval', 'duration', '30s', 'How often its own metrics are pushed to `self_otlp_endpoint`.'),
  opt('shutdownTimeoutMs', 'shutdown_timeout', 'duration', '20s', 'On SIGTERM, how long requests in flight and alert deliveries get to finish before they are cut.'),
  opt('rulesFile', 'rules_file', 'string', undefined, 'YAML file of filter rules (allow-list entries that drop known false positives); reloaded on change and on SIGHUP.'),
  opt('rulesPollIntervalMs', 'rules_poll_interval', 'duration', '5s', 'How often `rules_file` is also checked by modification time, besides file-system events (`0`: events and SIGHUP only).'),
  opt('newWorkloadGraceMs', 'new_workload_grace', 'duration', '10m', 'Alert context: an end first seen less than this before the point still makes the edge `new_workload` (a rollout\'s first minutes).'),
  opt('severityNewPath', 'severity_new_path', 'enum', 'high', 'Severity of a `new_path` alert (two known workloads that never talked).', SEVERITIES),
  opt('severityNewProtocol', 'severity_new_protocol', 'enum', 'medium', 'Severity of a `new_protocol` alert (the pair talks already on the other protocol).', SEVERITIES),
  opt('severityNewWorkload', 'severity_new_workload', 'enum', 'low', 'Severity of a `new_workload` alert (an end never seen, or first seen within `new_workload_grace`).', SEVERITIES),
  opt('severityCrossNamespaceRaise', 'severity_cross_namespace_raise', 'count', '1', 'Levels a cross-namespace edge\'s severity is raised (up to `critical`; `0`: not at all).'),
  opt('stormMaxAlertsPerMinute', 'storm_max_alerts_per_minute', 'count', '50', 'Storm guard: alerts per cluster per minute at most, across all replicas of one store; further new edges only enter the baseline and one summary alert counts them (`0` disables).'),
  opt('externalUrl', 'external_url', 'string', undefined, 'Base URL under which people reach the admin port (its web page and API): new-edge alerts gain `url`, the edge on the page (`<external_url>/?cluster=…&sel=…`; no `url` key when unset), and `list_url` of storm summaries and Alertmanager `generatorURL` become absolute.'),
  opt('adminToken', 'admin_token', 'secret', undefined, 'When set, every `/api/v1/*` request (reads too) must carry `Authorization: Bearer <token>`; `/metrics`, `/healthz`, `/readyz` stay open.'),
];
