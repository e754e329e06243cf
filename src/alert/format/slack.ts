import { STORM_RULE, type Alert, type AlertContext, type AlertEndpoint, type ContextKind, type Severity } from '../../core/alert';
import { isTrafficAlertRule } from '../../core/traffic-rules';
import { jsonRequest, type RenderedRequest } from '../http-sink';
import { trafficMessage } from './slack-traffic';

/** Slack Block Kit limits: header text 150 characters, section field text 2000, 10 fields. */
const HEADER_MAX = 150;
const FIELD_MAX = 2000;

export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}
export type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'actions'; elements: ButtonElement[] };

/** A link button (Block Kit): Slack opens `url`; the app gets an interaction it may ignore. */
export interface ButtonElement {
  type: 'button';
  text: TextObject;
  url: string;
  action_id: string;
}

/** A secondary attachment: the coloured bar beside its blocks (the alert's severity). */
export interface SlackAttachment {
  color: string;
  blocks: Block[];
}

/** What an incoming webhook accepts: `text` is the notification and fallback, `blocks` the message. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
  attachments?: SlackAttachment[];
}

/** Bar colour per severity: blue, green, yellow, red, dark red. */
export const SEVERITY_COLORS: Readonly<Record<Severity, string>> = {
  info: '#439FE0',
  low: '#2EB67D',
  medium: '#ECB22E',
  high: '#E01E5A',
  critical: '#7A0019',
};

const KIND_TEXT: Readonly<Record<ContextKind, string>> = {
  new_path: 'both workloads known, never talked before',
  new_protocol: 'the pair already talks over the other protocol',
  new_workload: 'an end is new (never seen, or first seen moments ago)',
};

/** mrkdwn control characters (Slack's escaping rules: &, <, > only). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A workload as inline code, so `_` or `*` in a name never turns into formatting. */
export function code(text: string): string {
  return `\`${escapeMrkdwn(text.replace(/`/g, "'"))}\``;
}

export function endpoint(e: AlertEndpoint): string {
  return e.namespace === null ? code(e.workload) : `${code(e.workload)} (namespace ${code(e.namespace)})`;
}

export function plainEndpoint(e: AlertEndpoint): string {
  return e.namespace === null ? e.workload : `${e.namespace}/${e.workload}`;
}

/** Slack renders a date token in each reader's time zone; the fallback text is the ISO time. */
export function when(iso: string): string {
  const s = Math.floor(Date.parse(iso) / 1000);
  return Number.isFinite(s) ? `<!date^${s}^{date_short_pretty} {time_secs}|${iso}>` : escapeMrkdwn(iso);
}

function field(label: string, value: string): TextObject {
  return { type: 'mrkdwn', text: `*${label}*\n${value}`.slice(0, FIELD_MAX) };
}

export function header(text: string): Block {
  const t = text.length > HEADER_MAX ? `${text.slice(0, HEADER_MAX - 1)}…` : text;
  return { type: 'header', text: { type: 'plain_text', text: t, emoji: false } };
}

/** A new-edge alert: who talks to whom, where, since when, how risky, which rule. */
function edgeMessage(a: Alert): SlackMessage {
  const proto = (a.protocol ?? '').toUpperCase();
  const headline = a.title.replace(/ in kubernetes cluster .*$/, '');
  const assessed = a.context !== undefined && a.severity !== undefined ? ` · ${a.severity} severity, ${a.context.kind}` : '';
  const message: SlackMessage = {
    text: `${a.title}: ${plainEndpoint(a.source)} → ${plainEndpoint(a.dest)}${proto ? ` (${proto})` : ''}${assessed}`,
    blocks: [
      header(headline),
      { type: 'section', text: { type: 'mrkdwn', text: `${endpoint(a.source)} → ${endpoint(a.dest)}${proto ? ` over ${proto}` : ''}` } },
      {
        type: 'section',
        fields: [
          field('Cluster', code(a.cluster)),
          field('Protocol', proto || 'n/a'),
          field('Source', endpoint(a.source)),
          field('Destination', endpoint(a.dest)),
          field('First seen', when(a.first_seen)),
          field('Risk score', `${a.risk_score} (impact ${a.impact} × confidence ${a.confidence} / 100)`),
          field('Rule', code(a.rule)),
          field('Previously seen', a.previous_seen === null ? 'never (in the baseline window)' : when(a.previous_seen)),
        ],
      },
      ...(a.url === undefined ? [] : [openButton(a.url)]),
      context(a),
    ],
  };
  if (a.context !== undefined && a.severity !== undefined) message.attachments = [contextAttachment(a.context, a.severity)];
  return message;
}

/** The alert's `url` (external_url set) as a button: the edge on the web page. */
function openButton(url: string): Block {
  return { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open on the edge map', emoji: false }, url, action_id: 'edgewatch_open_edge' }] };
}

/** `<url|text>`: a `|` or `>` in the URL would end it early (page URLs percent-encode theirs). */
export function mrkdwnLink(url: string, text: string): string {
  return `<${escapeMrkdwn(url).replace(/\|/g, '%7C')}|${escapeMrkdwn(text)}>`;
}

/** What the baseline knew about both ends, beside a bar in the severity's colour. */
function contextAttachment(c: AlertContext, severity: Severity): SlackAttachment {
  const seen = (iso: string | null): string => (iso === null ? 'never (in the baseline window)' : when(iso));
  return {
    color: SEVERITY_COLORS[severity],
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*Severity ${severity}* · ${code(c.kind)}: ${KIND_TEXT[c.kind]}${c.cross_namespace ? ' · across namespaces' : ''}` } },
      {
        type: 'section',
        fields: [
          field('Source first seen', seen(c.source_first_seen)),
          field('Destination first seen', seen(c.dest_first_seen)),
          field('Source peers', `${c.source_peers} before this edge`),
          field('Destination peers', `${c.dest_peers} before this edge`),
        ],
      },
    ],
  };
}

/** The storm guard's summary: how many were held back, and where to list them. */
function stormMessage(a: Alert): SlackMessage {
  const n = a.held_back ?? 0;
  const list = a.list_url ?? '';
  const link = /^https?:\/\//.test(list) ? `<${list}|list them>` : `list them with \`GET ${escapeMrkdwn(list)}\``;
  return {
    text: `${a.title}: ${n} new edges held back; ${list}`,
    blocks: [
      header(a.title.replace(/ in kubernetes cluster .*$/, '')),
      { type: 'section', text: { type: 'mrkdwn', text: `*${n}* new edges in cluster ${code(a.cluster)} raised no alert of their own: ${link}.` } },
      {
        type: 'section',
        fields: [
          field('Cluster', code(a.cluster)),
          field('Held back', String(n)),
          field('Window start', a.window_start === undefined ? 'n/a' : when(a.window_start)),
          field('Window end', a.window_end === undefined ? 'n/a' : when(a.window_end)),
          field('Rule', code(a.rule)),
        ],
      },
      context(a),
    ],
  };
}

function context(a: Alert): Block {
  const mitre = a.mitre_attack.length > 0 ? `MITRE ATT&CK ${a.mitre_attack.join(', ')} · ` : '';
  return { type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(`${mitre}edgewatch alert ${a.id}`) }] };
}

export function slackMessage(alert: Alert): SlackMessage {
  if (alert.rule === STORM_RULE) return stormMessage(alert);
  return isTrafficAlertRule(alert.rule) ? trafficMessage(alert) : edgeMessage(alert);
}

export function renderSlack(alert: Alert): RenderedRequest {
  return jsonRequest(slackMessage(alert), alert.id);
}
