import { ALERT_STATES, type AlertQuery, type AlertState } from '../core/triage';
import { FilterRulesError, parseExpiry } from '../detect/filter-rules';
import { BadQueryError, parseLimit, parseSince } from './api';

/** A request body (or header) that cannot be used: the admin API answers 400 with the message, which names the field. */
export class TriageInputError extends Error {}

/** What ack and expect take (README "Alert lifecycle"). */
export interface TriageInput {
  comment: string | null;
  /** The state (and for expect the rule) lapses at this time; null: never. */
  expiresMs: number | null;
}

/** `edge`: that edge (cluster, protocol, source, dest); `source`: anything from the source workload. */
export type ExpectScope = 'edge' | 'source';

export interface ExpectInput extends TriageInput {
  scope: ExpectScope;
}

/** The `context.kind` values of new-edge alerts (README "Alert format"). */
export const ALERT_KINDS = ['new_path', 'new_workload', 'new_protocol'] as const;

const MAX_COMMENT = 2000;
const MAX_USER = 200;
/** Who, when nobody says (README "Alert lifecycle"). */
export const DEFAULT_USER = 'api';
export const USER_HEADER = 'x-edgewatch-user';

/** `comment` and `expires`, as the JSON body or the CLI flags give them. */
export function triageInput(fields: Record<string, unknown>, nowMs: number): TriageInput {
  return { comment: parseComment(fields.comment), expiresMs: parseExpires(fields.expires, nowMs) };
}

export function expectInput(fields: Record<string, unknown>, nowMs: number): ExpectInput {
  return { ...triageInput(fields, nowMs), scope: parseScope(fields.scope) };
}

/** The JSON body of POST /api/v1/alerts/{id}/ack|expect; an empty body is `{}`. */
export function parseTriageBody(text: string, action: 'ack' | 'expect', nowMs: number): TriageInput | ExpectInput {
  let body: unknown = {};
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new TriageInputError(`body: expected a JSON object, given invalid JSON (${(err as Error).message})`);
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TriageInputError(`body: expected a JSON object, given ${JSON.stringify(body)}`);
  const known = action === 'expect' ? ['comment', 'expires', 'scope'] : ['comment', 'expires'];
  for (const k of Object.keys(body)) {
    if (!known.includes(k)) throw new TriageInputError(`${k}: unknown field; ${action} takes ${known.join(', ')}`);
  }
  const fields = body as Record<string, unknown>;
  return action === 'expect' ? expectInput(fields, nowMs) : triageInput(fields, nowMs);
}

function parseComment(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new TriageInputError(`comment: expected a string, given ${JSON.stringify(value)}`);
  if (value.length > MAX_COMMENT) throw new TriageInputError(`comment: at most ${MAX_COMMENT} characters, given ${value.length}`);
  return value.trim() === '' ? null : value;
}

/** Like a rules file's `expires` (a date or a date-time), and in the future. */
function parseExpires(value: unknown, nowMs: number): number | null {
  if (value === undefined || value === null) return null;
  let ms: number;
  try {
    ms = parseExpiry(value, 'expires');
  } catch (err) {
    if (err instanceof FilterRulesError) throw new TriageInputError(err.message);
    throw err;
  }
  if (ms <= nowMs) throw new TriageInputError(`expires: ${JSON.stringify(value)} is not in the future`);
  return ms;
}

function parseScope(value: unknown): ExpectScope {
  if (value === undefined || value === null) return 'edge';
  if (value === 'edge' || value === 'source') return value;
  throw new TriageInputError(`scope: expected "edge" (that edge) or "source" (the whole source workload), given ${JSON.stringify(value)}`);
}

/** Who makes the change: the X-Edgewatch-User header (or the CLI's --user), else `api`. */
export function parseUser(value: string | string[] | undefined, what = 'X-Edgewatch-User'): string {
  if (value === undefined) return DEFAULT_USER;
  const text = (Array.isArray(value) ? value[0] : value).trim();
  if (text === '' || text.length > MAX_USER || /[\u0000-\u001f\u007f]/.test(text)) {
    throw new TriageInputError(`${what}: expected a name of 1 to ${MAX_USER} printable characters, given ${JSON.stringify(value)}`);
  }
  return text;
}

/** `?state=&kind=&cluster=&since=&limit=` of GET /api/v1/alerts (and `edgewatch alerts list`). */
export function parseAlertQuery(params: URLSearchParams, nowMs: number): { limit: number; query: AlertQuery } {
  const query: AlertQuery = { nowMs };
  const state = params.get('state');
  if (state !== null) {
    const states = state.split(',').map((s) => s.trim());
    for (const s of states) {
      if (!ALERT_STATES.includes(s as AlertState)) throw new BadQueryError(`state: expected ${ALERT_STATES.join(', ')} (or several, comma-separated), given "${state}"`);
    }
    query.states = states as AlertState[];
  }
  const kind = params.get('kind');
  if (kind !== null) {
    if (!(ALERT_KINDS as readonly string[]).includes(kind)) throw new BadQueryError(`kind: expected ${ALERT_KINDS.join(', ')}, given "${kind}"`);
    query.kind = kind;
  }
  const cluster = params.get('cluster');
  if (cluster !== null) {
    if (cluster === '') throw new BadQueryError('cluster: expected a cluster name, given ""');
    query.cluster = cluster;
  }
  const since = params.get('since');
  if (since !== null) query.sinceMs = parseSince(since, nowMs);
  return { limit: parseLimit(params.get('limit'), 100), query };
}
