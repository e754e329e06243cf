import { z } from 'zod';
import { ConfigError } from '../core/errors';
import type { Protocol } from '../core/observation';
import { compilePatterns, PatternError } from '../detect/pattern';
import { parseDuration } from './duration';
import { parseGrouping } from './sink-grouping';
import type { GroupingSpec } from '../alert/alert-group';

export type SinkType = 'webhook' | 'slack' | 'splunk_hec' | 'alertmanager';

/**
 * One entry of the YAML file's `sinks:` list (README "Sinks"). Only the file can hold these:
 * a list of objects has no sensible environment-variable or flag form.
 */
export interface SinkConfig {
  type: SinkType;
  /** Outbox key of the sink; default derived from type and URL (never from a secret). */
  name?: string;
  url: string;
  /** webhook: HMAC-SHA256 key of X-Edgewatch-Signature. */
  secret?: string;
  /** splunk_hec: HEC token (required); alertmanager: bearer token. */
  token?: string;
  /** Timeout of one POST; default `webhook_timeout`. */
  timeoutMs?: number;
  /** Only alerts of these protocols are sent; others are acknowledged without sending. */
  protocols?: Protocol[];
  /** Only alerts of clusters matching one of these globs or /regexes/ are sent. */
  clusters?: string[];
  /** `group_by` / `group_wait` (sink-grouping.ts); absent: one request per alert. Slack's default is filled in by the parser. */
  grouping?: GroupingSpec;
  /** splunk_hec */
  index?: string;
  sourcetype?: string;
  source?: string;
  /** alertmanager */
  severity?: string;
  labels?: Record<string, string>;
  generatorUrl?: string;
}

const text = z.string().min(1);
const common = {
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.:/#@-]{1,200}$/, 'letters, digits and _ . : / # @ - (at most 200)')
    .optional(),
  url: text,
  timeout: z.union([z.string(), z.number()]).optional(),
  protocols: z.array(z.enum(['tcp', 'udp'])).min(1).optional(),
  clusters: z.array(z.string().min(1)).min(1).optional(),
  // Checked by parseGrouping, whose messages name the field and list the allowed ones.
  group_by: z.unknown().optional(),
  group_wait: z.unknown().optional(),
};
const entrySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('webhook'), ...common, secret: text.optional() }).strict(),
  z.object({ type: z.literal('slack'), ...common }).strict(),
  z
    .object({ type: z.literal('splunk_hec'), ...common, token: text, index: text.optional(), sourcetype: text.optional(), source: text.optional() })
    .strict(),
  z
    .object({
      type: z.literal('alertmanager'),
      ...common,
      token: text.optional(),
      severity: text.optional(),
      labels: z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a Prometheus label name'), z.string()).optional(),
      generator_url: text.optional(),
    })
    .strict(),
]);
type Entry = z.infer<typeof entrySchema>;

/**
 * `${NAME}` in url, secret and token is replaced by that environment variable, so a Slack
 * webhook URL or a HEC token can live in a Kubernetes Secret while the file lives in a ConfigMap.
 */
function expand(value: string, field: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined || v === '') throw new ConfigError(field, `environment variable ${name} to be set (referenced as \${${name}})`, '(unset)');
    return v;
  });
}

/** Validate the file's `sinks:` value; `origin` names the file in errors. */
export function parseSinksConfig(raw: unknown, origin: string, env: NodeJS.ProcessEnv): SinkConfig[] {
  if (raw === null || raw === undefined) return [];
  if (!Array.isArray(raw)) throw new ConfigError(`sinks (${origin})`, 'a list of sink objects', raw);
  return raw.map((item, i) => parseEntry(item, `sinks[${i}]`, origin, env));
}

function parseEntry(item: unknown, at: string, origin: string, env: NodeJS.ProcessEnv): SinkConfig {
  const parsed = entrySchema.safeParse(item);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String).join('.');
    const given = issue.path.length > 0 && typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[String(issue.path[0])] : item;
    const secretField = /^(secret|token|url)$/.test(String(issue.path[0] ?? ''));
    const expected = issue.code === 'invalid_union' ? 'type: webhook, slack, splunk_hec or alertmanager' : issue.message;
    throw new ConfigError(`${at}${path ? '.' + path : ''} (${origin})`, expected, secretField ? '(not shown: may be a secret)' : given);
  }
  const e: Entry = parsed.data;
  const field = (f: string): string => `${at}.${f} (${origin})`;
  const url = expand(e.url, field('url'), env);
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new ConfigError(field('url'), 'an http:// or https:// URL', '(not shown: may hold credentials)');
  const out: SinkConfig = { type: e.type, url };
  if (e.name !== undefined) out.name = e.name;
  if (e.timeout !== undefined) {
    const ms = parseDuration(String(e.timeout));
    if (ms === null || ms <= 0) throw new ConfigError(field('timeout'), 'a duration greater than 0 like 10s', e.timeout);
    out.timeoutMs = ms;
  }
  if (e.protocols !== undefined) out.protocols = [...new Set(e.protocols)];
  if (e.clusters !== undefined) {
    try {
      compilePatterns(e.clusters);
    } catch (err) {
      if (err instanceof PatternError) throw new ConfigError(field('clusters'), 'globs or /regular expressions/', err.message);
      throw err;
    }
    out.clusters = e.clusters;
  }
  const grouping = parseGrouping(e.type, e.group_by, e.group_wait, field);
  if (grouping !== undefined) out.grouping = grouping;
  switch (e.type) {
    case 'webhook':
      if (e.secret !== undefined) out.secret = expand(e.secret, field('secret'), env);
      break;
    case 'slack':
      break;
    case 'splunk_hec':
      out.token = expand(e.token, field('token'), env);
      Object.assign(out, pick({ index: e.index, sourcetype: e.sourcetype, source: e.source }));
      break;
    case 'alertmanager':
      if (e.token !== undefined) out.token = expand(e.token, field('token'), env);
      Object.assign(out, pick({ severity: e.severity, labels: e.labels, generatorUrl: e.generator_url }));
      break;
  }
  return out;
}

/** Leave unset keys out, so configs compare and log cleanly. */
function pick<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
