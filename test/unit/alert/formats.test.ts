import { postableAlert } from '../../../src/alert/format/alertmanager';
import { escapeMrkdwn, slackMessage } from '../../../src/alert/format/slack';
import { hecEnvelope } from '../../../src/alert/format/splunk-hec';
import { compileSinkFilter } from '../../../src/alert/filtered-sink';
import { defaultSinkName } from '../../../src/alert/configured-sink';
import { withPath } from '../../../src/alert/http-sink';
import { completeAlert, type Alert } from '../../../src/core/alert';
import { buildStormSummary } from '../../../src/detect/storm-summary';
import { sampleAlert } from '../../helpers/sample-alert';

const FIRST = '2026-11-28T10:00:00.000Z';

function edgeAlert(over: Partial<Alert> = {}): Alert {
  return sampleAlert({
    source: { workload: 'front_end', namespace: 'shop' },
    dest: { workload: 'payments', namespace: null },
    attributes: { 'k8s.cluster.name': 'prod-eu', 'source.workload.name': 'front_end' },
    ...over,
  });
}

const storm = (): Alert =>
  completeAlert(
    buildStormSummary(
      { cluster: 'prod-eu', windowStartMs: Date.parse(FIRST), windowEndMs: Date.parse(FIRST) + 60_000, firstMs: Date.parse(FIRST) + 5000, byProtocol: { tcp: 40, udp: 2 } },
      { externalUrl: 'https://ew.example.com/', baselineWindowMs: 2_592_000_000, detectionWindowMs: 3_600_000, nowMs: Date.parse(FIRST) + 61_000 },
    ),
    null,
  );

describe('Slack Block Kit', () => {
  test('header, edge section, fields (cluster, source, dest, namespaces, first seen, risk score, rule), context, text fallback', () => {
    const m = slackMessage(edgeAlert());
    expect(m.text).toBe('Kubernetes newly seen TCP edge in kubernetes cluster prod-eu: shop/front_end → payments (TCP)');
    expect(m.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: 'Kubernetes newly seen TCP edge', emoji: false } });
    expect(m.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '`front_end` (namespace `shop`) → `payments` over TCP' } });
    const fields = (m.blocks[2] as { fields: Array<{ type: string; text: string }> }).fields;
    expect(fields.every((f) => f.type === 'mrkdwn')).toBe(true);
    expect(fields.map((f) => f.text)).toEqual([
      '*Cluster*\n`prod-eu`',
      '*Protocol*\nTCP',
      '*Source*\n`front_end` (namespace `shop`)',
      '*Destination*\n`payments`',
      `*First seen*\n<!date^${Date.parse(FIRST) / 1000}^{date_short_pretty} {time_secs}|${FIRST}>`,
      '*Risk score*\n25 (impact 50 × confidence 50 / 100)',
      '*Rule*\n`kubernetes_newly_seen_tcp_edge`',
      '*Previously seen*\nnever (in the baseline window)',
    ]);
    expect(fields.length).toBeLessThanOrEqual(10);
    expect(m.blocks[3]).toEqual({ type: 'context', elements: [{ type: 'mrkdwn', text: 'MITRE ATT&amp;CK T1204 · edgewatch alert 0f3c5a9e1b7d4c2a8e6f0b1d3c5a7e9f' }] });
  });

  test('escapes mrkdwn control characters and keeps the header within 150 characters', () => {
    expect(escapeMrkdwn('<a & b>')).toBe('&lt;a &amp; b&gt;');
    const m = slackMessage(edgeAlert({ source: { workload: '<!channel>', namespace: null }, title: `${'x'.repeat(200)} in kubernetes cluster c` }));
    expect(JSON.stringify(m.blocks)).not.toContain('<!channel>');
    expect((m.blocks[0] as { text: { text: string } }).text.text.length).toBe(150);
  });

  test('a storm summary says how many and links the list', () => {
    const m = slackMessage(storm());
    expect(m.text).toContain('42 new edges held back');
    const section = m.blocks[1] as { text: { text: string } };
    expect(section.text.text).toContain('*42* new edges in cluster `prod-eu`');
    expect(section.text.text).toContain('<https://ew.example.com/api/v1/edges?cluster=prod-eu&since=2026-11-28T10%3A00%3A00.000Z|list them>');
  });
});

describe('Splunk HEC event', () => {
  test('envelope: time in epoch seconds, host = cluster, sourcetype default, index when set', () => {
    const a = edgeAlert();
    expect(hecEnvelope(a, {})).toMatchObject({ time: Date.parse(FIRST) / 1000, host: 'prod-eu', source: 'edgewatch', sourcetype: 'edgewatch:alert' });
    expect(hecEnvelope(a, {})).not.toHaveProperty('index');
    expect(hecEnvelope(a, { index: 'security', sourcetype: 'k8s:edge', source: 'ew' })).toMatchObject({ index: 'security', sourcetype: 'k8s:edge', source: 'ew' });
  });

  test("event: the search's output columns, then every contract field", () => {
    const a = edgeAlert();
    const e = hecEnvelope(a, {}).event;
    expect(e).toMatchObject({
      host: 'prod-eu',
      'k8s.cluster.name': 'prod-eu',
      'source.workload.name': 'front_end',
      'dest.workload.name': 'payments',
      'tcp.packets_count': 1,
      current: 'True',
      'source.namespace.name': 'shop',
      search_name: 'Kubernetes newly seen TCP edge',
      firstTime: Date.parse(FIRST) / 1000,
      ...a,
    });
    expect(e).not.toHaveProperty('dest.namespace.name');
    expect(hecEnvelope(edgeAlert({ protocol: 'udp', rule: 'kubernetes_newly_seen_udp_edge' }), {}).event).toMatchObject({ 'udp.packets_count': 1, search_name: 'Kubernetes newly seen UDP edge' });
  });
});

describe('Alertmanager v2 alert', () => {
  test('labels identify the edge, annotations describe it, startsAt = first_seen', () => {
    const p = postableAlert(edgeAlert(), { labels: { team: 'sec', alertname: 'not-this' }, generatorUrl: 'https://ew/api/v1/alerts' });
    expect(p.labels).toEqual({
      team: 'sec',
      alertname: 'kubernetes_newly_seen_tcp_edge',
      cluster: 'prod-eu',
      source_workload: 'front_end',
      dest_workload: 'payments',
      protocol: 'tcp',
      severity: 'warning',
      source_namespace: 'shop',
    });
    expect(p.annotations).toMatchObject({ summary: edgeAlert().title, alert_id: edgeAlert().id, risk_score: '25', mitre_attack: 'T1204', previous_seen: 'never' });
    expect(p.annotations.description).toBe('front_end (namespace shop) talked to payments over TCP for the first time in 30 days (cluster prod-eu).');
    expect(p.startsAt).toBe(FIRST);
    expect(p.generatorURL).toBe('https://ew/api/v1/alerts');
    expect(p).not.toHaveProperty('endsAt');
    expect(Object.values(p.labels).every((v) => typeof v === 'string')).toBe(true);
  });

  test('severity is configurable; a storm summary is labelled by its window', () => {
    expect(postableAlert(edgeAlert(), { severity: 'critical' }).labels.severity).toBe('critical');
    const p = postableAlert(storm(), {});
    expect(p.labels).toEqual({ alertname: 'kubernetes_newly_seen_edge_storm', cluster: 'prod-eu', severity: 'warning', window_start: FIRST });
    expect(p.annotations).toMatchObject({ held_back: '42', list_url: 'https://ew.example.com/api/v1/edges?cluster=prod-eu&since=2026-11-28T10%3A00%3A00.000Z' });
  });
});

describe('sink filters, names and URLs', () => {
  test('protocol and cluster filters; a mixed storm summary passes a protocol filter it concerns', () => {
    const tcpOnly = compileSinkFilter({ protocols: ['tcp'] });
    expect(tcpOnly(edgeAlert())).toBe(true);
    expect(tcpOnly(edgeAlert({ protocol: 'udp' }))).toBe(false);
    expect(tcpOnly(storm())).toBe(true);
    expect(compileSinkFilter({ protocols: ['udp'] })({ ...storm(), held_back_by_protocol: { tcp: 3 } })).toBe(false);
    const prod = compileSinkFilter({ clusters: ['prod-*', '/^stage-\\d+$/'] });
    expect(prod(edgeAlert())).toBe(true);
    expect(prod(edgeAlert({ cluster: 'stage-12' }))).toBe(true);
    expect(prod(edgeAlert({ cluster: 'dev' }))).toBe(false);
  });

  test('default names never carry a secret', () => {
    const slack = defaultSinkName({ type: 'slack', url: 'https://hooks.slack.com/services/T000/B000/SECRETSECRET' }, 'f');
    expect(slack).toMatch(/^slack:hooks\.slack\.com#[0-9a-f]{8}$/);
    expect(defaultSinkName({ type: 'splunk_hec', url: 'https://user:pw@splunk:8088/', token: 't' }, 'f')).toBe('splunk_hec:splunk:8088');
    expect(defaultSinkName({ type: 'alertmanager', url: 'http://am:9093' }, 'f')).toBe('alertmanager:am:9093');
  });

  test('API paths are appended unless given', () => {
    expect(withPath('http://am:9093', '/api/v2/alerts', 'f')).toBe('http://am:9093/api/v2/alerts');
    expect(withPath('http://am:9093/api/v2/alerts/', '/api/v2/alerts', 'f')).toBe('http://am:9093/api/v2/alerts');
    expect(withPath('https://splunk:8088/prefix', '/services/collector/event', 'f')).toBe('https://splunk:8088/prefix/services/collector/event');
  });
});
