import type { Alert } from '../core/alert';
import { ConfigError } from '../core/errors';
import { version } from '../version';
import type { AlertGroup, GroupingSpec } from './alert-group';
import { classifyResponse } from './http-result';
import type { DeliveryResult, Sink } from './sink';

/** One HTTP request a sink makes of an alert. */
export interface RenderedRequest {
  body: Buffer;
  headers: Record<string, string>;
}

export interface HttpPostSinkOptions {
  name: string;
  url: string;
  /** Config field named in errors about the URL (`webhook_url`, `sinks[2].url`). */
  field: string;
  /** Timeout of one POST, including reading the answer. */
  timeoutMs: number;
  /** Headers of every request (auth, content type); the renderer's headers add to these. */
  headers?: Record<string, string>;
  render(alert: Alert): RenderedRequest;
  /** With `renderGroup`: the sink groups its alerts (`group_by`) and sends one request per group. */
  grouping?: GroupingSpec;
  renderGroup?(group: AlertGroup): RenderedRequest;
}

export const USER_AGENT = `edgewatch/${version}`;

/** Error detail kept from a response body: enough to diagnose, too little to flood a log. */
const DETAIL_CHARS = 200;

/**
 * POSTs each alert in the format its renderer makes (webhook, Slack, Splunk HEC, Alertmanager)
 * over global fetch: keep-alive connections, no extra dependency. Credentials in the URL become
 * a Basic Authorization header, since fetch refuses URLs that carry them. Redirects are not
 * followed (a redirected POST may turn into a GET); the answer maps to a DeliveryResult once,
 * here at the boundary (http-result.ts).
 */
export class HttpPostSink implements Sink {
  readonly name: string;
  readonly grouping?: GroupingSpec;
  private readonly target: string;
  private readonly baseHeaders: Record<string, string>;

  constructor(private readonly opts: HttpPostSinkOptions) {
    this.name = opts.name;
    if (opts.grouping !== undefined && opts.renderGroup !== undefined) this.grouping = opts.grouping;
    const u = parseSinkUrl(opts.url, opts.field);
    this.baseHeaders = { 'Content-Type': 'application/json', 'User-Agent': USER_AGENT, ...opts.headers };
    if (u.username !== '' || u.password !== '') {
      const user = decodeURIComponent(u.username);
      const pass = decodeURIComponent(u.password);
      this.baseHeaders.Authorization ??= `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      u.username = '';
      u.password = '';
    }
    u.hash = '';
    this.target = u.toString();
  }

  deliver(alert: Alert, signal: AbortSignal): Promise<DeliveryResult> {
    return this.post(this.opts.render(alert), signal);
  }

  async deliverGroup(group: AlertGroup, signal: AbortSignal): Promise<DeliveryResult> {
    const render = this.opts.renderGroup;
    if (render === undefined) return { kind: 'failure', error: `sink ${this.name} does not group` };
    return this.post(render(group), signal);
  }

  private async post({ body, headers }: RenderedRequest, signal: AbortSignal): Promise<DeliveryResult> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    try {
      const res = await fetch(this.target, {
        method: 'POST',
        headers: { ...this.baseHeaders, ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([signal, timeout]),
      });
      // Read the answer in full either way: that returns the connection to the keep-alive pool.
      const text = await res.text();
      const detail = res.ok ? '' : text.slice(0, DETAIL_CHARS).replace(/\s+/g, ' ').trim();
      return classifyResponse(res.status, res.headers.get('retry-after'), detail, Date.now());
    } catch (err) {
      if (timeout.aborted) return { kind: 'retryable', error: `timeout after ${this.opts.timeoutMs} ms` };
      if (signal.aborted) return { kind: 'retryable', error: 'aborted' };
      return { kind: 'retryable', error: `network error: ${describeNetworkError(err)}` };
    }
  }
}

/** An http(s) URL; parse errors must not repeat the input, since it may hold a password or token. */
export function parseSinkUrl(url: string, field: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(field, 'a valid http:// or https:// URL', '(unparseable URL, not shown: it may hold credentials)');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError(field, 'an http:// or https:// URL', u.protocol);
  return u;
}

/** `URL` with `path` appended unless the URL's path already ends with it (users give either form). */
export function withPath(url: string, path: string, field: string): string {
  const u = parseSinkUrl(url, field);
  const base = u.pathname.replace(/\/+$/, '');
  u.pathname = base.endsWith(path) ? base : `${base}${path}`;
  return u.toString();
}

/** JSON body bytes and the alert id header every format carries. */
export function jsonRequest(payload: unknown, alertId: string): RenderedRequest {
  return { body: Buffer.from(JSON.stringify(payload), 'utf8'), headers: { 'X-Edgewatch-Alert-Id': alertId } };
}

/**
 * A group's request: its body, `X-Edgewatch-Group-Id`, and `X-Edgewatch-Alert-Id` listing the
 * group's alert ids comma-separated (an HTTP list; MAX_GROUP_SIZE keeps it short).
 */
export function groupRequest(body: Buffer | string, group: AlertGroup): RenderedRequest {
  return {
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
    headers: { 'X-Edgewatch-Alert-Id': group.alerts.map((a) => a.id).join(','), 'X-Edgewatch-Group-Id': group.id },
  };
}

/** fetch reports "fetch failed" with the useful part (ECONNREFUSED, socket hang up) in `cause`. */
function describeNetworkError(err: unknown): string {
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code !== undefined ? `${code} ${cause.message}` : cause.message;
  }
  return err instanceof Error ? err.message : String(err);
}
