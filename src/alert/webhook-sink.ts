import type { Alert } from '../core/alert';
import { HttpPostSink, jsonRequest, parseSinkUrl, type RenderedRequest } from './http-sink';
import { signBody } from './signature';
import type { DeliveryResult, Sink } from './sink';

export interface WebhookSinkOptions {
  url: string;
  /** HMAC key; when set each POST carries X-Edgewatch-Signature. */
  secret?: string;
  /** Timeout of one POST, including reading the answer. */
  timeoutMs: number;
  /** Outbox name; default webhookSinkName(url). */
  name?: string;
  /** Config field named in URL errors; default `webhook_url`. */
  field?: string;
}

/** `webhook:<host><path>`: credentials, query and fragment stripped so the name never holds a secret. */
export function webhookSinkName(url: string, field = 'webhook_url'): string {
  const u = parseSinkUrl(url, field);
  return `webhook:${u.host}${u.pathname}`;
}

/** The contract format (README "Alert format"): the alert JSON, signed when a secret is set. */
export function renderWebhook(alert: Alert, secret: string | undefined): RenderedRequest {
  const req = jsonRequest(alert, alert.id);
  if (secret !== undefined && secret !== '') req.headers['X-Edgewatch-Signature'] = signBody(req.body, secret);
  return req;
}

/** The generic webhook: POSTs each alert as the contract's JSON. */
export class WebhookSink implements Sink {
  readonly name: string;
  private readonly http: HttpPostSink;

  constructor(opts: WebhookSinkOptions) {
    const field = opts.field ?? 'webhook_url';
    this.name = opts.name ?? webhookSinkName(opts.url, field);
    this.http = new HttpPostSink({
      name: this.name,
      url: opts.url,
      field,
      timeoutMs: opts.timeoutMs,
      render: (alert) => renderWebhook(alert, opts.secret),
    });
  }

  deliver(alert: Alert, signal: AbortSignal): Promise<DeliveryResult> {
    return this.http.deliver(alert, signal);
  }
}
