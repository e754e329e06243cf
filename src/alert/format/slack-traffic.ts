import { SEVERITY_COLORS, code, endpoint, escapeMrkdwn, header, plainEndpoint, when, type Block, type SlackMessage, type TextObject } from './slack';
import type { Alert, AlertAnomaly } from '../../core/alert';

/** Anomalies listed by line; the rest are counted, so one message stays within Slack's limits. */
export const SLACK_ANOMALIES_MAX = 12;
const SECTION_MAX = 2900;
const FIELD_MAX = 2000;

function field(label: string, value: string): TextObject {
  return { type: 'mrkdwn', text: `*${label}*\n${value}`.slice(0, FIELD_MAX) };
}

/** Numbers as people read them: integers as is, others to 4 significant digits. */
function num(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}

function anomalyLine(a: AlertAnomaly): string {
  const at = a.bucket_start.slice(11, 19);
  return `• ${at} ${escapeMrkdwn(a.message)} (${code(a.metric)} = ${num(a.value)}, mean ${num(a.mean)}, σ ${num(a.stdev)})`;
}

/** Who the key is: the edge, or the process and its workload. */
function subject(a: Alert): { rich: string; plain: string } {
  if (a.process !== undefined) {
    const w = a.process.side === 'dest' ? a.dest : a.source;
    const dir = a.process.side === 'dest' ? 'inbound to' : 'outbound from';
    return { rich: `process ${code(a.process.name)}, ${dir} ${endpoint(w)}`, plain: `process ${a.process.name} (${dir} ${plainEndpoint(w)})` };
  }
  return { rich: `${endpoint(a.source)} → ${endpoint(a.dest)}`, plain: `${plainEndpoint(a.source)} → ${plainEndpoint(a.dest)}` };
}

/** A traffic-anomaly alert: whose traffic, how many anomalies, and the anomalies themselves (README "Anomalous traffic"). */
export function trafficMessage(a: Alert): SlackMessage {
  const anomalies = a.anomalies ?? [];
  const who = subject(a);
  const lines: string[] = [];
  let size = 0;
  for (const x of anomalies.slice(0, SLACK_ANOMALIES_MAX)) {
    const line = anomalyLine(x).slice(0, 400);
    if (size + line.length + 1 > SECTION_MAX) break;
    lines.push(line);
    size += line.length + 1;
  }
  const more = anomalies.length - lines.length;
  if (more > 0) lines.push(`…and ${more} more (the alert's \`anomalies\` in \`GET /api/v1/alerts/${escapeMrkdwn(a.id)}\`)`);
  const fields: TextObject[] = [field('Cluster', code(a.cluster)), field('Rule', code(a.rule))];
  if (a.process !== undefined) fields.push(field('Process', `${code(a.process.name)} (${a.process.side})`));
  fields.push(
    field('Source', endpoint(a.source)),
    field('Destination', endpoint(a.dest)),
    field('First anomaly', when(a.first_seen)),
    field('Risk score', `${a.risk_score} (impact ${a.impact} × confidence ${a.confidence} / 100)`),
  );
  const mitre = a.mitre_attack.length > 0 ? `MITRE ATT&CK ${a.mitre_attack.join(', ')} · ` : '';
  const blocks: Block[] = [
    header(a.title.replace(/ in kubernetes cluster .*$/, '')),
    { type: 'section', text: { type: 'mrkdwn', text: `${who.rich}: *${anomalies.length}* anomalies in the last hour (10 s averages above their baseline)` } },
    { type: 'section', fields },
    { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') || 'no anomalies listed' } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`${mitre}edgewatch alert ${a.id}`) }] },
  ];
  const message: SlackMessage = { text: `${a.title}: ${who.plain}, ${anomalies.length} anomalies`, blocks };
  if (a.severity !== undefined) message.attachments = [{ color: SEVERITY_COLORS[a.severity], blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `*Severity ${a.severity}*` } }] }];
  return message;
}
