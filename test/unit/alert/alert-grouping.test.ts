import { groupId, groupKeyOf, groupValue, makeGroup, MAX_GROUP_SIZE, type GroupingSpec } from '../../../src/alert/alert-group';
import { renderAlertmanagerGroup } from '../../../src/alert/format/alertmanager';
import { renderSlack, SEVERITY_COLORS } from '../../../src/alert/format/slack';
import { renderSlackGroup, SLACK_GROUP_LIST_MAX, slackGroupMessage } from '../../../src/alert/format/slack-group';
import { renderHecGroup } from '../../../src/alert/format/splunk-hec';
import { GroupBuffer } from '../../../src/alert/group-buffer';
import { verifySignature } from '../../../src/alert/signature';
import { renderWebhookGroup, type WebhookGroupBody } from '../../../src/alert/webhook-sink';
import { completeAlert, type Alert } from '../../../src/core/alert';
import { buildStormSummary } from '../../../src/detect/storm-summary';
import type { OutboxEntry } from '../../../src/store/store';
import { sampleAlert } from '../../helpers/sample-alert';

const FIRST = '2026-11-28T10:00:00.000Z';
const T = Date.parse(FIRST);
const BY: GroupingSpec = { by: ['cluster', 'source.workload'], waitMs: 30_000 };

let seq = 0;
function alert(over: Partial<Alert> = {}): Alert {
  seq++;
  return sampleAlert({ id: `alert-${String(seq).padStart(4, '0')}`, dest: { workload: `peer-${seq}`, namespace: 'shop' }, detected_at: FIRST, ...over });
}

function entry(a: Alert, createdMs: number, attempts = 0): OutboxEntry {
  const { previous_seen: _, ...draft } = a;
  return { alertId: a.id, sink: 'slack', draft, previousSeenMs: null, attempts, createdMs };
}

const storm = (): Alert =>
  completeAlert(
    buildStormSummary(
      { cluster: 'prod-eu', windowStartMs: T, windowEndMs: T + 60_000, firstMs: T + 5000, byProtocol: { tcp: 40 } },
      { baselineWindowMs: 2_592_000_000, detectionWindowMs: 3_600_000, nowMs: T + 61_000 },
    ),
    null,
  );

describe('group keys and ids', () => {
  test('fields are read from the alert JSON; absent or null ones are the empty string', () => {
    const a = alert({ protocol: null, source: { workload: 'frontend', namespace: null } });
    expect(groupValue(a, 'cluster')).toBe('prod-eu');
    expect(groupValue(a, 'source.workload')).toBe('frontend');
    expect(groupValue(a, 'source.namespace')).toBe('');
    expect(groupValue(a, 'protocol')).toBe('');
    expect(groupValue(a, 'context.kind')).toBe('');
    const withContext = { ...a, severity: 'low', context: { kind: 'new_workload' } } as unknown as Alert;
    expect(groupValue(withContext, 'context.kind')).toBe('new_workload');
    expect(groupValue(withContext, 'severity')).toBe('low');
  });

  test('alerts group by the values of the fields, and no value can make two groups collide', () => {
    const a = alert();
    const b = alert();
    expect(groupKeyOf(a, BY.by)).toBe(groupKeyOf(b, BY.by));
    expect(groupKeyOf(a, BY.by)).not.toBe(groupKeyOf(alert({ cluster: 'prod-us' }), BY.by));
    const tricky1 = alert({ cluster: 'a","b', source: { workload: 'c', namespace: null } });
    const tricky2 = alert({ cluster: 'a', source: { workload: 'b","c', namespace: null } });
    expect(groupKeyOf(tricky1, BY.by)).not.toBe(groupKeyOf(tricky2, BY.by));
  });

  test('the group id is stable for a set of alert ids, whatever their order, and differs per sink', () => {
    expect(groupId('slack', ['b', 'a', 'c'])).toBe(groupId('slack', ['a', 'b', 'c']));
    expect(groupId('slack', ['a', 'b'])).not.toBe(groupId('slack', ['a', 'b', 'c']));
    expect(groupId('slack', ['a'])).not.toBe(groupId('other', ['a']));
    expect(groupId('slack', ['a'])).toMatch(/^grp-[0-9a-f]{24}$/);
    expect(makeGroup('slack', BY.by, [alert()]).keys).toEqual({ cluster: 'prod-eu', 'source.workload': 'frontend' });
  });
});

describe('GroupBuffer: group_wait from the oldest alert, caps', () => {
  test('a group is due when its oldest alert is group_wait old, not before; other keys wait on their own', () => {
    const buf = new GroupBuffer(BY);
    const a = alert();
    const b = alert();
    const c = alert({ source: { workload: 'checkout', namespace: 'shop' } });
    buf.add(entry(a, T), a, T + 60_000, T);
    buf.add(entry(b, T + 10_000), b, T + 70_000, T + 10_000);
    buf.add(entry(c, T + 5_000), c, T + 65_000, T + 10_000);
    expect(buf.size).toBe(3);
    expect(buf.nextDueMs()).toBe(T + 30_000);
    expect(buf.takeDue(T + 29_999, 10)).toEqual([]);
    const [first, ...rest] = buf.takeDue(T + 30_000, 10);
    expect(rest).toEqual([]);
    expect(first.items.map((i) => i.alert.id)).toEqual([a.id, b.id]);
    expect(buf.size).toBe(1);
    expect(buf.nextDueMs()).toBe(T + 35_000);
    expect(buf.takeDue(T + 40_000, 10).map((g) => g.items.map((i) => i.alert.id))).toEqual([[c.id]]);
    expect(buf.nextDueMs()).toBeNull();
  });

  test('an old alert (a retry, a takeover after a restart) makes its group due at once', () => {
    const buf = new GroupBuffer(BY);
    const young = alert();
    const old = alert();
    buf.add(entry(young, T), young, T + 60_000, T);
    buf.add(entry(old, T - 3_600_000, 2), old, T + 60_000, T);
    expect(buf.takeDue(T, 10)[0].items).toHaveLength(2);
  });

  test('alerts arriving after their group was sent start a new group', () => {
    const buf = new GroupBuffer(BY);
    const a = alert();
    buf.add(entry(a, T), a, T + 60_000, T);
    expect(buf.takeDue(T + 30_000, 10)).toHaveLength(1);
    const late = alert();
    buf.add(entry(late, T + 31_000), late, T + 91_000, T + 31_000);
    expect(buf.nextDueMs()).toBe(T + 61_000);
  });

  test('a full group is due at once; the next alert of its key opens another group', () => {
    const buf = new GroupBuffer(BY, 3);
    const alerts = Array.from({ length: 4 }, () => alert());
    for (const a of alerts) buf.add(entry(a, T), a, T + 60_000, T + 1000);
    const due = buf.takeDue(T + 1000, 10);
    expect(due.map((g) => g.items.length)).toEqual([3]);
    expect(buf.size).toBe(1);
    expect(buf.nextDueMs()).toBe(T + 30_000);
    expect(MAX_GROUP_SIZE).toBe(100);
  });

  test('a storm summary is never held: a group of its own, due at once', () => {
    const buf = new GroupBuffer(BY);
    const s = storm();
    const a = alert();
    buf.add(entry(a, T), a, T + 60_000, T);
    buf.add(entry(s, T), s, T + 60_000, T + 500);
    const due = buf.takeDue(T + 500, 10);
    expect(due.map((g) => g.items.map((i) => i.alert.id))).toEqual([[s.id]]);
  });

  test('an entry claimed again while held is not held twice; it only gets the new lease end', () => {
    const buf = new GroupBuffer(BY);
    const a = alert();
    buf.add(entry(a, T), a, T + 60_000, T);
    buf.add(entry(a, T), a, T + 120_000, T + 59_000);
    expect(buf.size).toBe(1);
    const [g] = buf.takeDue(T + 30_000, 10);
    expect(g.items).toHaveLength(1);
    expect(g.items[0].leaseEndsMs).toBe(T + 120_000);
  });

  test('takeDue hands out at most `max` groups, the longest due first; takeAll empties the buffer', () => {
    const buf = new GroupBuffer(BY);
    const ws = ['a', 'b', 'c'].map((w, i) => alert({ source: { workload: w, namespace: null }, id: `id-${w}-${i}` }));
    ws.forEach((a, i) => buf.add(entry(a, T - i * 1000), a, T + 60_000, T));
    expect(buf.takeDue(T + 60_000, 2).map((g) => g.items[0].alert.source.workload)).toEqual(['c', 'b']);
    expect(buf.takeAll().map((h) => h.alert.source.workload)).toEqual(['a']);
    expect(buf.size).toBe(0);
    expect(buf.nextDueMs()).toBeNull();
  });
});

describe('Slack group message', () => {
  const twelve = (): Alert[] =>
    Array.from({ length: 12 }, (_, i) => alert({ dest: { workload: `svc-${i}`, namespace: i % 2 ? 'data' : null }, protocol: i === 3 ? 'udp' : 'tcp' }));

  test('headline, the source, every edge with protocol and dest (+ namespace), the group id', () => {
    const g = makeGroup('slack', BY.by, twelve());
    const m = slackGroupMessage(g);
    expect(m.blocks[0]).toEqual({ type: 'header', text: { type: 'plain_text', text: '12 newly seen edges from frontend in cluster prod-eu', emoji: false } });
    expect(m.blocks[1]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: '`frontend` (namespace `shop`) talked to these for the first time in cluster `prod-eu`:' } });
    const lines = ((m.blocks[2] as { text: { text: string } }).text.text).split('\n');
    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe('• → `svc-0` over TCP');
    expect(lines[1]).toBe('• → `svc-1` (namespace `data`) over TCP');
    expect(lines[3]).toBe('• → `svc-3` (namespace `data`) over UDP');
    expect(m.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(JSON.stringify(m.blocks[3])).toContain(`edgewatch group ${g.id} of 12 alerts`);
    expect(JSON.stringify(m.blocks[3])).toContain('MITRE ATT&amp;CK T1204');
    expect(m.text).toMatch(/^12 newly seen edges from frontend in cluster prod-eu: shop\/frontend → svc-0, shop\/frontend → data\/svc-1, /);
  });

  test('kind and severity are listed when the alerts carry them; the bar has the highest severity\'s colour', () => {
    const withCtx = twelve().map((a) => ({ ...a, severity: 'low', context: { kind: 'new_workload' } }) as unknown as Alert);
    const m = slackGroupMessage(makeGroup('slack', BY.by, withCtx));
    expect((m.blocks[2] as { text: { text: string } }).text.text.split('\n')[0]).toBe('• → `svc-0` over TCP · new_workload · low');
    expect(slackGroupMessage(makeGroup('slack', BY.by, twelve())).attachments).toBeUndefined();
    const mixed = [...withCtx.slice(0, 11), { ...withCtx[11], severity: 'high', context: { kind: 'new_path' } } as unknown as Alert];
    expect(slackGroupMessage(makeGroup('slack', BY.by, mixed)).attachments).toEqual([
      { color: SEVERITY_COLORS.high, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Highest severity high* · `new_workload` ×11, `new_path` ×1' } }] },
    ]);
  });

  test(`lists the first ${SLACK_GROUP_LIST_MAX} edges and counts the rest`, () => {
    const many = Array.from({ length: 57 }, (_, i) => alert({ dest: { workload: `svc-${i}`, namespace: null } }));
    const m = slackGroupMessage(makeGroup('slack', BY.by, many));
    expect(((m.blocks[2] as { text: { text: string } }).text.text).split('\n')).toHaveLength(SLACK_GROUP_LIST_MAX);
    expect((m.blocks[3] as { text: { text: string } }).text.text).toMatch(/^…and 37 more/);
    expect(m.text).toMatch(/, and 37 more$/);
  });

  test('stays within Slack limits whatever the names hold (long names, mrkdwn characters)', () => {
    const long = Array.from({ length: 20 }, (_, i) => alert({ dest: { workload: `<@U123>&${'x'.repeat(5000)}-${i}`, namespace: null } }));
    const m = slackGroupMessage(makeGroup('slack', BY.by, long));
    for (const b of m.blocks) if (b.type === 'section') expect(b.text?.text.length ?? 0).toBeLessThanOrEqual(3000);
    expect(((m.blocks[2] as { text: { text: string } }).text.text)).not.toContain('<@U123>');
    expect(m.text.length).toBeLessThanOrEqual(3000);
    expect((m.blocks[3] as { text: { text: string } }).text.text).toMatch(/^…and \d+ more/);
  });

  test('grouped by cluster only, each line names both ends', () => {
    const g = makeGroup('slack', ['cluster'], twelve());
    const m = slackGroupMessage(g);
    expect((m.blocks[0] as { text: { text: string } }).text.text).toBe('12 newly seen edges in cluster prod-eu');
    expect(((m.blocks[2] as { text: { text: string } }).text.text).split('\n')[0]).toBe('• `frontend` (namespace `shop`) → `svc-0` over TCP');
  });

  test('a group of one is the single-alert message; a larger one carries the group id and every alert id', () => {
    const one = alert();
    const single = renderSlackGroup(makeGroup('slack', BY.by, [one]));
    expect(single.body.equals(renderSlack(one).body)).toBe(true);
    expect(single.headers['X-Edgewatch-Alert-Id']).toBe(one.id);
    const alerts = twelve();
    const g = makeGroup('slack', BY.by, alerts);
    const req = renderSlackGroup(g);
    expect(req.headers['X-Edgewatch-Group-Id']).toBe(g.id);
    expect(req.headers['X-Edgewatch-Alert-Id']).toBe(alerts.map((a) => a.id).join(','));
  });
});

describe('grouped machine formats', () => {
  const alerts = [alert(), alert(), alert()];
  const g = makeGroup('hook', BY.by, alerts);

  test('webhook: {"group": {id, keys, count}, "alerts": [contract alerts]}, signed over the bytes sent', () => {
    const req = renderWebhookGroup(g, 's3cret');
    const body = JSON.parse(req.body.toString('utf8')) as WebhookGroupBody;
    expect(body).toEqual({ group: { id: g.id, keys: { cluster: 'prod-eu', 'source.workload': 'frontend' }, count: 3 }, alerts });
    expect(verifySignature(req.body, 's3cret', req.headers['X-Edgewatch-Signature'])).toBe(true);
    expect(req.headers['X-Edgewatch-Group-Id']).toBe(g.id);
    expect(req.headers['X-Edgewatch-Alert-Id']).toBe(alerts.map((a) => a.id).join(','));
    expect(renderWebhookGroup(g, undefined).headers['X-Edgewatch-Signature']).toBeUndefined();
  });

  test('Splunk HEC: one POST with the events back to back, each the single-alert envelope', () => {
    const req = renderHecGroup(g, { index: 'sec' });
    const events = req.body.toString('utf8').split('\n').map((l) => JSON.parse(l) as { index: string; event: { id: string } });
    expect(events.map((e) => e.event.id)).toEqual(alerts.map((a) => a.id));
    expect(events.every((e) => e.index === 'sec')).toBe(true);
  });

  test('Alertmanager: one POST with the list of the alerts', () => {
    const req = renderAlertmanagerGroup(g, {});
    const list = JSON.parse(req.body.toString('utf8')) as Array<{ annotations: { alert_id: string } }>;
    expect(list.map((p) => p.annotations.alert_id)).toEqual(alerts.map((a) => a.id));
  });
});
