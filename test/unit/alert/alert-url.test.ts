/**
 * The alert's `url` (external_url set): the edge on the web page, as the page reads `cluster=`
 * and `sel=`; absent without external_url; carried by every sink format.
 */
import { postableAlert } from '../../../src/alert/format/alertmanager';
import { slackMessage } from '../../../src/alert/format/slack';
import { slackGroupMessage } from '../../../src/alert/format/slack-group';
import { hecEvent } from '../../../src/alert/format/splunk-hec';
import { makeGroup } from '../../../src/alert/alert-group';
import { completeAlert, type Alert } from '../../../src/core/alert';
import { edgePageUrl, edgeSel } from '../../../src/core/page-link';
import { buildAlertDraft } from '../../../src/detect/alert-draft';
import { edgeId } from '../../../web/src/model';
import { obs } from '../../helpers/observations';
import { sampleAlert } from '../../helpers/sample-alert';

const T = Date.parse('2026-11-28T10:00:00.000Z');
const URL_OF = 'https://ew.example.com/?cluster=prod-eu&sel=tcp%7Cfrontend%7Cpayments';

describe('edgePageUrl', () => {
  test('cluster and sel= percent-encoded; one slash after external_url whatever it ends with', () => {
    expect(edgePageUrl('https://ew.example.com', 'prod-eu', 'tcp', 'frontend', 'payments')).toBe(URL_OF);
    expect(edgePageUrl('https://ew.example.com//', 'prod-eu', 'tcp', 'frontend', 'payments')).toBe(URL_OF);
    expect(edgePageUrl('https://ew.example.com/edgewatch/', 'c', 'udp', 'a', 'b')).toBe('https://ew.example.com/edgewatch/?cluster=c&sel=udp%7Ca%7Cb');
  });

  test('any bytes in the names come back exactly as the page reads them (URLSearchParams), and sel is the page\'s edge id', () => {
    const src = 'api.example.com&x=1 ü';
    const dst = '(internet)#/?%';
    const u = new URL(edgePageUrl('http://localhost:9464', 'prod eu/1', 'udp', src, dst));
    expect(u.pathname).toBe('/');
    expect(u.searchParams.get('cluster')).toBe('prod eu/1');
    expect(u.searchParams.get('sel')).toBe(edgeSel('udp', src, dst));
    expect(edgeId('udp', src, dst)).toBe(edgeSel('udp', src, dst));
  });
});

describe('alert draft', () => {
  const ctx = { baselineWindowMs: 30 * 86_400_000, detectionWindowMs: 3_600_000, nowMs: T };
  const key = { scope: 'prod-eu', protocol: 'tcp' as const, source: 'frontend', dest: 'payments' };

  test('external_url set: url to the edge on the page', () => {
    const d = buildAlertDraft(key, obs({ t: T }), T, { ...ctx, externalUrl: 'https://ew.example.com/' });
    expect(d.url).toBe(URL_OF);
  });

  test('external_url unset: no url key at all (the webhook body stays as before)', () => {
    const d = buildAlertDraft(key, obs({ t: T }), T, ctx);
    expect('url' in d).toBe(false);
    expect(JSON.stringify(completeAlert(d, null))).not.toContain('"url"');
  });

  test('baseline_scope global: the url still names the point\'s cluster (the page opens the alert there)', () => {
    const d = buildAlertDraft({ ...key, scope: '*' }, obs({ t: T, cluster: 'prod-us' }), T, { ...ctx, externalUrl: 'https://ew.example.com' });
    expect(d.url).toBe('https://ew.example.com/?cluster=prod-us&sel=tcp%7Cfrontend%7Cpayments');
  });
});

describe('sink formats carry it', () => {
  const withUrl = (over: Partial<Alert> = {}): Alert => sampleAlert({ url: URL_OF, ...over });

  test('Slack: a link button before the context; none without a url', () => {
    const m = slackMessage(withUrl());
    expect(m.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'actions', 'context']);
    expect(m.blocks[3]).toEqual({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open on the edge map', emoji: false }, url: URL_OF, action_id: 'edgewatch_open_edge' }],
    });
    expect(slackMessage(sampleAlert()).blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
  });

  test('Slack group: a link per line', () => {
    const alerts = ['a', 'b'].map((d, i) => withUrl({ id: `id-${i}`, dest: { workload: d, namespace: null }, url: `https://ew/?cluster=prod-eu&sel=tcp%7Cfrontend%7C${d}` }));
    const lines = (slackGroupMessage(makeGroup('slack', ['cluster', 'source.workload'], alerts)).blocks[2] as { text: { text: string } }).text.text.split('\n');
    expect(lines).toEqual(['• → `a` over TCP · <https://ew/?cluster=prod-eu&amp;sel=tcp%7Cfrontend%7Ca|map>', '• → `b` over TCP · <https://ew/?cluster=prod-eu&amp;sel=tcp%7Cfrontend%7Cb|map>']);
    const plain = (slackGroupMessage(makeGroup('slack', ['cluster', 'source.workload'], [sampleAlert({ id: 'x' }), sampleAlert({ id: 'y', dest: { workload: 'z', namespace: null } })])).blocks[2] as { text: { text: string } }).text.text;
    expect(plain).not.toContain('<');
  });

  test('Alertmanager: a url annotation; generatorURL is the sink\'s when set, else the alert\'s url, else the default', () => {
    expect(postableAlert(withUrl(), { defaultGeneratorUrl: 'https://ew/api/v1/alerts' })).toMatchObject({ annotations: { url: URL_OF }, generatorURL: URL_OF });
    expect(postableAlert(withUrl(), { generatorUrl: 'https://grafana/x', defaultGeneratorUrl: 'https://ew/api/v1/alerts' }).generatorURL).toBe('https://grafana/x');
    const plain = postableAlert(sampleAlert(), { defaultGeneratorUrl: 'https://ew/api/v1/alerts' });
    expect(plain.generatorURL).toBe('https://ew/api/v1/alerts');
    expect(plain.annotations.url).toBeUndefined();
  });

  test('Splunk HEC: the event holds url with every other contract field', () => {
    expect(hecEvent(withUrl()).url).toBe(URL_OF);
    expect('url' in hecEvent(sampleAlert())).toBe(false);
  });
});
