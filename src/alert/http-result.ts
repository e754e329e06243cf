import type { DeliveryResult } from './sink';

/** Retry-After as milliseconds from now: delta-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form starts with a day name; Date.parse alone would accept "-5" or "1.5".
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/**
 * Map an HTTP answer to a delivery result: 2xx delivered; 408, 429 and 5xx are the server's
 * "not now" (retry, honouring Retry-After); any other status will not change on a retry.
 */
export function classifyResponse(status: number, retryAfter: string | null, detail: string, nowMs: number): DeliveryResult {
  if (status >= 200 && status < 300) return { kind: 'success' };
  const error = detail ? `HTTP ${status}: ${detail}` : `HTTP ${status}`;
  if (status === 408 || status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(retryAfter, nowMs);
    return retryAfterMs === undefined ? { kind: 'retryable', error } : { kind: 'retryable', error, retryAfterMs };
  }
  // 3xx too: redirects are not followed, because a redirected POST may turn into a GET.
  return { kind: 'failure', error };
}
