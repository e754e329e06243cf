import { postableAlert } from '../../../src/alert/format/alertmanager';
import { SEVERITY_COLORS, slackMessage } from '../../../src/alert/format/slack';
import { hecEnvelope } from '../../../src/alert/format/splunk-hec';
import type { Alert, AlertContext } from '../../../src/core/alert';
import { sampleAlert } from '../../helpers/sample-alert';

const CONTEXT: AlertContext = {
  kind: 'new_path',
  source_first_seen: '2026-11-28T08:00:00.000Z',
  dest_first_seen: null,
  source_peers: 4,
  dest_peers: 0,
  cross_namespace: true,
};

function alert(over: Partial<Alert> = {}): Alert {
  return sampleAlert({ dest: { workload: 'payments', namespace: 'billing' }, severity: 'critical', context: CONTEXT, ...over });
}

describe('severity and context in every sink', () => {
  test('Slack: the one-line text names severity and kind; an attachment coloured by severity holds the context', () => {
    const m = slackMessage(alert());
    expect(m.text).toBe('Kubernetes newly seen TCP edge in kubernetes cluster prod-eu: shop/frontend → billing/payments (TCP) · critical severity, new_path');
    expect(m.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(m.attachments).toHaveLength(1);
    const [att] = m.attachments ?? [];
    expect(att.color).toBe(SEVERITY_COLORS.critical);
    expect(JSON.stringify(att.blocks[0])).toContain('*Severity critical* · `new_path`: both workloads known, never talked before · across namespaces');
    const fields = (att.blocks[1] as { fields: Array<{ text: string }> }).fields.map((f) => f.text);
    expect(fields).toEqual([
      `*Source first seen*\n<!date^${Date.parse(CONTEXT.source_first_seen ?? '') / 1000}^{date_short_pretty} {time_secs}|${CONTEXT.source_first_seen}>`,
      '*Destination first seen*\nnever (in the baseline window)',
      '*Source peers*\n4 before this edge',
      '*Destination peers*\n0 before this edge',
    ]);
    expect(new Set(Object.values(SEVERITY_COLORS)).size).toBe(5);
  });

  test('Slack: an alert without context (enqueued before the upgrade) is as before, no attachment', () => {
    const m = slackMessage(alert({ severity: undefined, context: undefined }));
    expect(m.attachments).toBeUndefined();
    expect(m.text).toBe('Kubernetes newly seen TCP edge in kubernetes cluster prod-eu: shop/frontend → billing/payments (TCP)');
  });

  test("Alertmanager: the alert's severity wins unless the sink sets one; kind is a label, the context annotations", () => {
    const p = postableAlert(alert(), {});
    expect(p.labels).toMatchObject({ severity: 'critical', kind: 'new_path' });
    expect(p.annotations).toMatchObject({
      source_first_seen: CONTEXT.source_first_seen,
      dest_first_seen: 'never',
      source_peers: '4',
      dest_peers: '0',
      cross_namespace: 'true',
    });
    expect(postableAlert(alert(), { severity: 'page' }).labels.severity).toBe('page');
    const old = postableAlert(alert({ severity: undefined, context: undefined }), {});
    expect(old.labels.severity).toBe('warning');
    expect(old.labels.kind).toBeUndefined();
  });

  test('Splunk HEC: severity and the context object are event fields (Splunk extracts context.kind …)', () => {
    const e = hecEnvelope(alert(), {}).event;
    expect(e.severity).toBe('critical');
    expect(e.context).toEqual(CONTEXT);
  });
});
