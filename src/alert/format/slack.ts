import { STORM_RULE, type Alert, type AlertEndpoint } from '../../core/alert';
import { jsonRequest, type RenderedRequest } from '../http-sink';

/** Slack Block Kit limits: header text 150 characters, section field text 2000, 10 fields. */
const HEADER_MAX = 150;
const FIELD_MAX = 2000;

interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}
type Block =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] };

/** What an incoming webhook accepts: `text` is the notification and fallback, `blocks` the message. */
export interface SlackMessage {
  text: string;
  blocks: Block[];
}

/** mrkdwn control characters (Slack's escaping rules: &, <, > only). */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A workload as inline code, so `_` or `*` in a name never turns into formatting. */
function code(text: string): string {
  return `\`${escapeMrkdwn(text.replace(/`/g, "'"))}\``;
}

function endpoint(e: AlertEndpoint): string {
  return e.namespace === null ? code(e.workload) : `${code(e.workload)} (namespace ${code(e.namespace)})`;
}

function plainEndpoint(e: AlertEndpoint): string {
  return e.namespace === null ? e.workload : `${e.namespace}/${e.workload}`;
}

/** Slack renders a date token in each reader's time zone; the fallback text is the ISO time. */
function when(iso: string): string {
  const s = Math.floor(Date.parse(iso) / 1000);
  return Number.isFinite(s) ? `<!date^${s}^{date_short_pretty} {time_secs}|${iso}>` : escapeMrkdwn(iso);
}

function field(label: string, value: string): TextObject {
  return { type: 'mrkdwn', text: `*${label}*\n${value}`.slice(0, FIELD_MAX) };
}

function header(text: string): Block {
  const t = text.length > HEADER_MAX ? `${text.slice(0, HEADER_MAX - 1)}…` : text;
  return { type: 'header', text: { type: 'plain_text', text: t, emoji: false } };
}

/** A new-edge alert: who talks to whom, where, since when, how risky, which rule. */
function edgeMessage(a: Alert): SlackMessage {
  const proto = (a.protocol ?? '').toUpperCase();
  const headline = a.title.replace(/ in kubernetes cluster .*$/, '');
  return {
    text: `${a.title}: ${plainEndpoint(a.source)} → ${plainEndpoint(a.dest)}${proto ? ` (${proto})` : ''}`,
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
      context(a),
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
  return alert.rule === STORM_RULE ? stormMessage(alert) : edgeMessage(alert);
}

export function renderSlack(alert: Alert): RenderedRequest {
  return jsonRequest(slackMessage(alert), alert.id);
}
