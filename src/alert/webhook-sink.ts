import type { Alert } from '../core/alert';
import type { AlertGroup, GroupingSpec } from './alert-group';
import { groupRequest, HttpPostSink, jsonRequest, parseSinkUrl, type RenderedRequest } from './http-sink';
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
  /** Group alerts (`group_by`): one POST of renderWebhookGroup's body per group. */
  grouping?: GroupingSpec;
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

/** Body of a grouped webhook POST (README "Sinks"): the group, then its alerts in the contract format. */
export interface WebhookGroupBody {
  group: { id: string; keys: AlertGroup['keys']; count: number };
  alerts: Alert[];
}

/** A group as one JSON document, signed over its bytes like a single alert. */
export function renderWebhookGroup(group: AlertGroup, secret: string | undefined): RenderedRequest {
  const body: WebhookGroupBody = { group: { id: group.id, keys: group.keys, count: group.alerts.length }, alerts: group.alerts };
  const req = groupRequest(JSON.stringify(body), group);
  if (secret !== undefined && secret !== '') req.headers['X-Edgewatch-Signature'] = signBody(req.body, secret);
  return req;
}

/** The generic webhook: POSTs each alert as the contract's JSON. */
export class WebhookSink implements Sink {
  readonly name: string;
  readonly grouping?: GroupingSpec;
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
      grouping: opts.grouping,
      renderGroup: (group) => renderWebhookGroup(group, opts.secret),
    });
    this.grouping = this.http.grouping;
  }

  deliver(alert: Alert, signal: AbortSignal): Promise<DeliveryResult> {
    return this.http.deliver(alert, signal);
  }

  deliverGroup(group: AlertGroup, signal: AbortSignal): Promise<DeliveryResult> {
    return this.http.deliverGroup(group, signal);
  }
}
