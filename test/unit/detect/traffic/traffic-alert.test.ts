import { postableAlert } from '../../../../src/alert/format/alertmanager';
import { slackMessage } from '../../../../src/alert/format/slack';
import { slackGroupMessage } from '../../../../src/alert/format/slack-group';
import { hecEvent } from '../../../../src/alert/format/splunk-hec';
import { LogSink } from '../../../../src/alert/log-sink';
import { expectRule } from '../../../../src/admin/expect-rule';
import { completeAlert, type Alert } from '../../../../src/core/alert';
import { trafficKeyId, type TrafficAnomaly, type TrafficKey } from '../../../../src/core/traffic';
import { compileFilterRules } from '../../../../src/detect/filter-rules';
import { alertObservation } from '../../../../src/detect/traffic/alert-observation';
import { buildTrafficAlert, trafficAlertId } from '../../../../src/detect/traffic/traffic-alert';
import type { Logger } from '../../../../src/telemetry/logger';
import { obs } from '../../../helpers/observations';
import { sampleAlert } from '../../../helpers/sample-alert';
import { S, STAGE_DEFAULTS, T0 } from './traffic-rig';

const CTX = { baselineWindowMs: 30 * 86_400_000, detectionWindowMs: 3_600_000, nowMs: T0 + 5 * 60 * S, attrs: STAGE_DEFAULTS };
const META = { cluster: 'prod-eu', sourceNamespace: 'shop', destNamespace: 'pay' };

function firing(key: TrafficKey, n = 6, metric = 'tcp.bytes'): { key: string; firedMs: number; anomalies: TrafficAnomaly[] } {
  const id = trafficKeyId(key);
  const anomalies = Array.from({ length: n }, (_, i) => ({ key: id, metric, bucketMs: T0 + i * 30 * S, value: 3000, mean: 1000, stdev: 100, z: 20.004 }));
  return { key: id, firedMs: T0 + (n - 1) * 30 * S, anomalies };
}

const edgeKey: TrafficKey = { detection: 'edge_traffic', scope: 'prod-eu', a: 'frontend', b: 'payments' };
const inboundKey: TrafficKey = { detection: 'process_inbound', scope: 'prod-eu', a: 'payments', b: 'java' };
const outboundKey: TrafficKey = { detection: 'process_outbound', scope: '*', a: 'frontend', b: 'node' };
const alertOf = (key: TrafficKey, n = 6): Alert => completeAlert(buildTrafficAlert(firing(key, n), META, CTX), null);

describe('traffic alerts', () => {
  test('the edge alert: rule, id, title, workloads, scores, anomalies with the search message', () => {
    const a = alertOf(edgeKey);
    expect(a).toMatchObject({
      id: trafficAlertId(trafficKeyId(edgeKey), T0 + 5 * 30 * S),
      rule: 'kubernetes_anomalous_traffic_on_network_edge',
      rule_id: '886c7e51-2ea1-425d-8705-faaca5a64cc6',
      title: 'Kubernetes Anomalous Traffic on Network Edge in kubernetes cluster prod-eu',
      protocol: 'tcp',
      source: { workload: 'frontend', namespace: 'shop' },
      dest: { workload: 'payments', namespace: 'pay' },
      first_seen: new Date(T0).toISOString(),
      detected_at: new Date(CTX.nowMs).toISOString(),
      previous_seen: null,
      risk_score: 25,
      impact: 50,
      confidence: 50,
      mitre_attack: ['T1204'],
      severity: 'medium',
      baseline_window_s: 2_592_000,
      detection_window_s: 3600,
    });
    expect(a.anomalies?.[0]).toEqual({ metric: 'tcp.bytes', bucket_start: new Date(T0).toISOString(), value: 3000, mean: 1000, stdev: 100, z: 20.004, message: 'tcp.bytes higher than average by 20 standard deviations' });
    expect(a.process).toBeUndefined();
    expect(a.id).toMatch(/^[0-9a-f]{32}$/);
    // Stable per key and firing; another firing or key is another alert.
    expect(buildTrafficAlert(firing(edgeKey), undefined, { ...CTX, nowMs: 1 }).id).toBe(a.id);
    expect(alertOf(edgeKey, 7).id).not.toBe(a.id);
    expect(alertOf({ ...edgeKey, b: 'db' }).id).not.toBe(a.id);
  });

  test('process alerts name the process and leave the other end *; under global scope the cluster comes from the latest point', () => {
    expect(alertOf(inboundKey)).toMatchObject({
      rule: 'kubernetes_anomalous_inbound_network_activity_from_process',
      source: { workload: '*', namespace: null },
      dest: { workload: 'payments', namespace: 'pay' },
      process: { name: 'java', side: 'dest' },
      attributes: { 'k8s.cluster.name': 'prod-eu', 'dest.workload.name': 'payments', 'dest.namespace.name': 'pay', 'dest.process.name': 'java' },
    });
    const out = alertOf(outboundKey);
    expect(out).toMatchObject({
      title: 'Kubernetes Anomalous Outbound Network Activity from Process in kubernetes cluster prod-eu',
      cluster: 'prod-eu',
      source: { workload: 'frontend', namespace: 'shop' },
      dest: { workload: '*', namespace: null },
      process: { name: 'node', side: 'source' },
    });
    expect(out.attributes).not.toHaveProperty('dest.workload.name');
    // Protocol of the first anomaly's metric.
    expect(buildTrafficAlert(firing(edgeKey, 6, 'udp.drops'), META, CTX).protocol).toBe('udp');
  });

  test('filter rules: `rule` names a traffic rule (or a new-edge rule); workloads, cluster and attributes match as on points', () => {
    const set = compileFilterRules(`
- {name: edge-rule, rule: kubernetes_anomalous_traffic_on_network_edge, source: frontend}
- {name: java, attributes: {dest.process.name: java}}
- {name: udp-new-edges, rule: kubernetes_newly_seen_udp_edge}
`);
    const match = (a: Alert): string | null => set.match(alertObservation(a), T0)?.label ?? null;
    expect(match(alertOf(edgeKey))).toBe('edge-rule');
    expect(match(alertOf(inboundKey))).toBe('java');
    expect(match(alertOf(outboundKey))).toBeNull();
    // New-edge points: `rule` follows their protocol.
    expect(set.match(obs({ proto: 'udp', t: T0 }), T0)?.label).toBe('udp-new-edges');
    expect(set.match(obs({ proto: 'tcp', t: T0 }), T0)).toBeNull();
  });

  test('expect on a traffic alert mutes that rule for the key, not the edge’s new-edge alerts', () => {
    const rule = expectRule(alertOf(edgeKey), { scope: 'edge', by: 'me', nowMs: T0, comment: null, expiresMs: null, baselineScope: 'cluster' });
    expect(rule.spec).toEqual({ name: rule.id, cluster: 'prod-eu', rule: 'kubernetes_anomalous_traffic_on_network_edge', source: 'frontend', dest: 'payments' });
  });
});

describe('sinks render traffic alerts', () => {
  test('Slack lists the anomalies (capped), names the process, colours by severity', () => {
    const m = slackMessage(alertOf(inboundKey, 30));
    expect(m.text).toBe('Kubernetes Anomalous Inbound Network Activity from Process in kubernetes cluster prod-eu: process java (inbound to pay/payments), 30 anomalies');
    const text = JSON.stringify(m.blocks);
    expect(text).toContain('tcp.bytes higher than average by 20 standard deviations');
    expect(text).toContain('…and 18 more');
    expect(text).toContain('`java`');
    expect(m.attachments?.[0].color).toBe('#ECB22E');
    for (const b of m.blocks) if (b.type === 'section' && b.text !== undefined) expect(b.text.text.length).toBeLessThanOrEqual(3000);
  });

  test('Alertmanager labels rule, cluster, workloads and process; the anomalies are annotations', () => {
    const p = postableAlert(alertOf(inboundKey), {});
    expect(p.labels).toEqual({
      alertname: 'kubernetes_anomalous_inbound_network_activity_from_process',
      cluster: 'prod-eu',
      severity: 'medium',
      source_workload: '*',
      dest_workload: 'payments',
      dest_namespace: 'pay',
      process: 'java',
      process_side: 'dest',
    });
    expect(p.annotations).toMatchObject({ anomaly_count: '6', rule_id: '10442d8b-0701-4c25-911d-d67b906e713c', protocol: 'tcp' });
    expect(p.annotations.anomalies).toContain('tcp.bytes higher than average by 20 standard deviations');
    expect(p.annotations.description).toContain('6 anomalies within an hour');
    expect(p.startsAt).toBe(new Date(T0).toISOString());
  });

  test('HEC: the search columns (group-by fields, count, anomalies as messages), then the alert fields', () => {
    const e = hecEvent(alertOf(outboundKey));
    expect(e).toMatchObject({
      host: 'prod-eu',
      'k8s.cluster.name': 'prod-eu',
      'source.workload.name': 'frontend',
      'source.process.name': 'node',
      count: 6,
      search_name: 'Kubernetes Anomalous Outbound Network Activity from Process',
      rule: 'kubernetes_anomalous_outbound_network_activity_from_process',
      rule_id: 'dd6afee6-e0a3-4028-a089-f47dd2842c22',
      firstTime: T0 / 1000,
      lastTime: (T0 + 5 * 30 * S) / 1000,
    });
    expect(e).not.toHaveProperty('dest.workload.name');
    expect(e.anomalies).toEqual(Array(6).fill('tcp.bytes higher than average by 20 standard deviations'));
    expect((e.anomaly_details as unknown[]).length).toBe(6);
  });

  test('a Slack group with traffic alerts says "alerts", and each line names the rule', () => {
    const alerts = [alertOf(edgeKey), sampleAlert()];
    const m = slackGroupMessage({ id: 'g', keys: { cluster: 'prod-eu' }, alerts });
    expect(m.text.startsWith('2 alerts in cluster prod-eu')).toBe(true);
    expect(JSON.stringify(m.blocks)).toContain('Kubernetes Anomalous Traffic on Network Edge: `frontend` (namespace `shop`) → `payments` (namespace `pay`) · 6 anomalies');
  });

  test('the log sink says anomalous traffic', async () => {
    const lines: Array<{ msg: string }> = [];
    const logger = { warn: (_obj: unknown, msg: string) => lines.push({ msg }) } as unknown as Logger;
    await new LogSink(logger).deliver(alertOf(edgeKey));
    await new LogSink(logger).deliver(sampleAlert());
    expect(lines.map((l) => l.msg)).toEqual(['anomalous traffic', 'new edge']);
  });
});
