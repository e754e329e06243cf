import { createHash } from 'node:crypto';
import type { AlertAnomaly, AlertDraft, AlertEndpoint, Severity } from '../../core/alert';
import type { Attributes, Protocol } from '../../core/observation';
import { parseTrafficKeyId, type TrafficAnomaly } from '../../core/traffic';
import { GLOBAL_SCOPE } from '../../core/edge';
import { TRAFFIC_RULES } from '../../core/traffic-rules';
import type { TrafficFiring } from '../../store/store';
import { BASE_SCORES, scoreFields } from '../rules';

/** Severity of a traffic-anomaly alert (no option: the searches carry none of their own). */
export const TRAFFIC_SEVERITY: Severity = 'medium';

/** Attribute names the alert's `attributes` are written under (the `*_attr` options), so filter rules' `attributes:` match like on points. */
export interface TrafficAttrNames {
  clusterAttr: string;
  sourceAttr: string;
  destAttr: string;
  sourceNamespaceAttr: string;
  destNamespaceAttr: string;
  sourceProcessAttr: string;
  destProcessAttr: string;
}

export interface TrafficDraftContext {
  baselineWindowMs: number;
  detectionWindowMs: number;
  nowMs: number;
  attrs: TrafficAttrNames;
}

/** What the replica knows of the key beyond its id: its latest sample's cluster and namespaces ('' unknown). */
export interface KeyMeta {
  cluster: string;
  sourceNamespace: string;
  destNamespace: string;
}

/** Alert id, stable per firing: the same key firing at the same bucket always gets it (so replicas and retries agree). */
export function trafficAlertId(keyId: string, firedMs: number): string {
  return createHash('sha256').update('traffic|').update(keyId).update('@').update(String(firedMs)).digest('hex').slice(0, 32);
}

function protocolOf(metric: string): Protocol | null {
  const p = metric.slice(0, metric.indexOf('.'));
  return p === 'tcp' || p === 'udp' ? p : null;
}

/** z to two decimals, as the search's round(…, 2). */
function round2(z: number): number {
  return Math.round(z * 100) / 100;
}

export function alertAnomaly(a: TrafficAnomaly): AlertAnomaly {
  return {
    metric: a.metric,
    bucket_start: new Date(a.bucketMs).toISOString(),
    value: a.value,
    mean: a.mean,
    stdev: a.stdev,
    z: a.z,
    message: `${a.metric} higher than average by ${round2(a.z)} standard deviations`,
  };
}

/**
 * The alert of one firing (README "Anomalous traffic"): title "<search name> in kubernetes
 * cluster <cluster>"; source and dest the workloads (the end a process key does not name is
 * `*`); protocol that of the first anomaly's metric; first_seen the first anomaly's bucket.
 */
export function buildTrafficAlert(firing: TrafficFiring, meta: KeyMeta | undefined, ctx: TrafficDraftContext): AlertDraft {
  const key = parseTrafficKeyId(firing.key);
  const spec = TRAFFIC_RULES[key.detection];
  // Under global scope the key holds no cluster: the latest sample's names it.
  const cluster = key.scope !== GLOBAL_SCOPE ? key.scope : (meta?.cluster ?? '');
  const ns = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);
  const any: AlertEndpoint = { workload: '*', namespace: null };
  let source: AlertEndpoint;
  let dest: AlertEndpoint;
  if (spec.processSide === 'dest') [source, dest] = [any, { workload: key.a, namespace: ns(meta?.destNamespace) }];
  else if (spec.processSide === 'source') [source, dest] = [{ workload: key.a, namespace: ns(meta?.sourceNamespace) }, any];
  else [source, dest] = [{ workload: key.a, namespace: ns(meta?.sourceNamespace) }, { workload: key.b, namespace: ns(meta?.destNamespace) }];

  const { attrs } = ctx;
  const attributes: Attributes = { [attrs.clusterAttr]: cluster };
  if (source.workload !== '*' || spec.processSide === null) attributes[attrs.sourceAttr] = source.workload;
  if (dest.workload !== '*' || spec.processSide === null) attributes[attrs.destAttr] = dest.workload;
  if (source.namespace !== null) attributes[attrs.sourceNamespaceAttr] = source.namespace;
  if (dest.namespace !== null) attributes[attrs.destNamespaceAttr] = dest.namespace;
  if (spec.processSide === 'source') attributes[attrs.sourceProcessAttr] = key.b;
  if (spec.processSide === 'dest') attributes[attrs.destProcessAttr] = key.b;

  const first = firing.anomalies[0];
  const draft: AlertDraft = {
    id: trafficAlertId(firing.key, firing.firedMs),
    rule: spec.rule,
    rule_id: spec.ruleId,
    title: `${spec.name} in kubernetes cluster ${cluster}`,
    cluster,
    protocol: first === undefined ? null : protocolOf(first.metric),
    source,
    dest,
    first_seen: new Date(first === undefined ? firing.firedMs : first.bucketMs).toISOString(),
    detected_at: new Date(ctx.nowMs).toISOString(),
    ...scoreFields(BASE_SCORES, ctx),
    severity: TRAFFIC_SEVERITY,
    attributes,
    anomalies: firing.anomalies.map(alertAnomaly),
  };
  if (spec.processSide !== null) draft.process = { name: key.b, side: spec.processSide };
  return draft;
}
