import type { Alert } from '../core/alert';
import { ConfigError } from '../core/errors';
import { classifyResponse } from './http-result';
import { signBody } from './signature';
import type { DeliveryResult, Sink } from './sink';
import { version } from '../version';

export interface WebhookSinkOptions {
  url: string;
  /** HMAC key; when set each POST carries X-Edgewatch-Signature. */
  secret?: string;
  /** Timeout of one POST, including reading the answer. */
  timeoutMs: number;
  userAgent?: string;
}

const USER_AGENT = `edgewatch/${version}`;

/** Error detail kept from a response body: enough to diagnose, too little to flood a log. */
const DETAIL_CHARS = 200;

/** `webhook:<host><path>`: credentials, query and fragment stripped so the name never holds a secret. */
export function webhookSinkName(url: string): string {
  const u = parseUrl(url);
  return `webhook:${u.host}${u.pathname}`;
}

/**
 * POSTs each alert as JSON (global fetch: keep-alive connections, no extra dependency).
 * Credentials in the URL become a Basic Authorization header, since fetch refuses URLs that
 * carry them.
 */
export class WebhookSink implements Sink {
  readonly name: string;
  private readonly target: string;
  private readonly baseHeaders: Record<string, string>;

  constructor(private readonly opts: WebhookSinkOptions) {
    const u = parseUrl(opts.url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError('webhook_url', 'an http:// or https:// URL', u.protocol);
    this.name = webhookSinkName(opts.url);
    this.baseHeaders = { 'Content-Type': 'application/json', 'User-Agent': opts.userAgent ?? USER_AGENT };
    if (u.username !== '' || u.password !== '') {
      const user = decodeURIComponent(u.username);
      const pass = decodeURIComponent(u.password);
      this.baseHeaders.Authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
      u.username = '';
      u.password = '';
    }
    u.hash = '';
    this.target = u.toString();
  }

  async deliver(alert: Alert, signal: AbortSignal): Promise<DeliveryResult> {
    const body = Buffer.from(JSON.stringify(alert), 'utf8');
    const headers: Record<string, string> = { ...this.baseHeaders, 'X-Edgewatch-Alert-Id': alert.id };
    if (this.opts.secret !== undefined && this.opts.secret !== '') headers['X-Edgewatch-Signature'] = signBody(body, this.opts.secret);
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    try {
      const res = await fetch(this.target, {
        method: 'POST',
        headers,
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

/** URL parse errors carry the input; ours must not, since it may hold a password. */
function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new ConfigError('webhook_url', 'a valid http:// or https:// URL', '(unparseable URL, not shown: it may hold credentials)');
  }
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
