import { SEVERITIES, type Alert, type Severity } from '../../core/alert';
import { groupValue, type AlertGroup } from '../alert-group';
import { isTrafficAlertRule, trafficRuleSpec } from '../../core/traffic-rules';
import { groupRequest, type RenderedRequest } from '../http-sink';
import { code, endpoint, escapeMrkdwn, header, mrkdwnLink, plainEndpoint, renderSlack, SEVERITY_COLORS, type Block, type SlackAttachment, type SlackMessage } from './slack';

/** Edges listed by name; the rest are counted ("and 12 more"), so a rollout stays one short message. */
export const SLACK_GROUP_LIST_MAX = 20;
/** Slack's limit of a section's text is 3000 characters; stay under it whatever the names hold. */
const SECTION_MAX = 2900;

function clip(text: string, max = SECTION_MAX): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** "12 newly seen edges from frontend in cluster prod-eu", from what the group's alerts share. */
export function groupHeadline(group: AlertGroup): string {
  const n = group.alerts.length;
  const keys = group.keys;
  // A group holding traffic-anomaly alerts (grouped by a shared field) is not all new edges.
  const mixed = group.alerts.some((a) => isTrafficAlertRule(a.rule));
  let text = mixed ? `${n} ${n === 1 ? 'alert' : 'alerts'}` : `${n} newly seen ${n === 1 ? 'edge' : 'edges'}`;
  if (keys['source.workload'] !== undefined) text += ` from ${keys['source.workload']}`;
  else if (keys['dest.workload'] !== undefined) text += ` to ${keys['dest.workload']}`;
  if (keys.cluster !== undefined) text += ` in cluster ${keys.cluster}`;
  return text;
}

/** One edge of the list: what differs within the group (the dest, when grouped by source). */
function edgeLine(a: Alert, group: AlertGroup): string {
  if (isTrafficAlertRule(a.rule)) return trafficLine(a);
  const bySource = group.keys['source.workload'] !== undefined;
  const byDest = !bySource && group.keys['dest.workload'] !== undefined;
  const proto = (a.protocol ?? '').toUpperCase();
  const edge = bySource ? `→ ${endpoint(a.dest)}` : byDest ? `${endpoint(a.source)} →` : `${endpoint(a.source)} → ${endpoint(a.dest)}`;
  const extras = [groupValue(a, 'context.kind'), groupValue(a, 'severity')].filter((s) => s !== '').map(escapeMrkdwn);
  const link = a.url === undefined ? '' : ` · ${mrkdwnLink(a.url, 'map')}`;
  return `• ${edge}${proto ? ` over ${proto}` : ''}${extras.length > 0 ? ` · ${extras.join(' · ')}` : ''}${link}`;
}

/** A traffic-anomaly alert in a group: its rule's name, whose traffic, how many anomalies. */
function trafficLine(a: Alert): string {
  const name = trafficRuleSpec(a.rule)?.name ?? a.rule;
  const who = a.process !== undefined ? `process ${code(a.process.name)} of ${endpoint(a.process.side === 'dest' ? a.dest : a.source)}` : `${endpoint(a.source)} → ${endpoint(a.dest)}`;
  return `• ${escapeMrkdwn(name)}: ${who} · ${(a.anomalies ?? []).length} anomalies`;
}

function intro(group: AlertGroup): string {
  if (group.alerts.some((a) => isTrafficAlertRule(a.rule))) {
    return `Alerts${group.keys.cluster !== undefined ? ` in cluster ${code(group.keys.cluster)}` : ''}:`;
  }
  const first = group.alerts[0];
  const cluster = group.keys.cluster !== undefined ? ` in cluster ${code(group.keys.cluster)}` : '';
  if (group.keys['source.workload'] !== undefined) return `${endpoint(first.source)} talked to these for the first time${cluster}:`;
  if (group.keys['dest.workload'] !== undefined) return `These talked to ${endpoint(first.dest)} for the first time${cluster}:`;
  return `New edges${cluster}:`;
}

/** A bar in the colour of the group's highest severity, with the kinds counted; none when no alert has a severity. */
function severityAttachment(alerts: Alert[]): SlackAttachment | undefined {
  const levels = alerts.map((a) => a.severity).filter((s): s is Severity => s !== undefined);
  if (levels.length === 0) return undefined;
  const top = levels.reduce((a, b) => (SEVERITIES.indexOf(b) > SEVERITIES.indexOf(a) ? b : a));
  const kinds = new Map<string, number>();
  for (const a of alerts) if (a.context !== undefined) kinds.set(a.context.kind, (kinds.get(a.context.kind) ?? 0) + 1);
  const counted = [...kinds].map(([kind, n]) => `${code(kind)} ×${n}`).join(', ');
  return { color: SEVERITY_COLORS[top], blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*Highest severity ${top}*${counted ? ` · ${counted}` : ''}` } }] };
}

/** The group's message: headline, the first edges (capped by count and by Slack's text limit), the rest counted. */
export function slackGroupMessage(group: AlertGroup): SlackMessage {
  const headline = groupHeadline(group);
  const lines: string[] = [];
  let size = 0;
  for (const a of group.alerts.slice(0, SLACK_GROUP_LIST_MAX)) {
    const line = clip(edgeLine(a, group), 500);
    if (size + line.length + 1 > SECTION_MAX) break;
    lines.push(line);
    size += line.length + 1;
  }
  const more = group.alerts.length - lines.length;
  const blocks: Block[] = [
    header(headline),
    { type: 'section', text: { type: 'mrkdwn', text: clip(intro(group)) } },
    { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
  ];
  if (more > 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `…and ${more} more (each is an alert of its own in \`GET /api/v1/alerts\`).` } });
  const mitre = [...new Set(group.alerts.flatMap((a) => a.mitre_attack))];
  const ctx = `${mitre.length > 0 ? `MITRE ATT&CK ${mitre.join(', ')} · ` : ''}edgewatch group ${group.id} of ${group.alerts.length} alerts`;
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(ctx) }] });
  const listed = group.alerts.slice(0, SLACK_GROUP_LIST_MAX).map((a) => `${plainEndpoint(a.source)} → ${plainEndpoint(a.dest)}`);
  const text = `${headline}: ${listed.join(', ')}${group.alerts.length > listed.length ? `, and ${group.alerts.length - listed.length} more` : ''}`;
  const message: SlackMessage = { text: clip(text), blocks };
  const bar = severityAttachment(group.alerts);
  if (bar !== undefined) message.attachments = [bar];
  return message;
}

/** A group of one is the single-alert message (a lone edge, a storm summary); a larger one the list. */
export function renderSlackGroup(group: AlertGroup): RenderedRequest {
  if (group.alerts.length === 1) return renderSlack(group.alerts[0]);
  return groupRequest(JSON.stringify(slackGroupMessage(group)), group);
}
