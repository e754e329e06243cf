import { classifyResponse, parseRetryAfter } from '../../../src/alert/http-result';
import { webhookSinkName } from '../../../src/alert/webhook-sink';

const now = Date.parse('2026-11-28T10:00:00.000Z');

describe('classifyResponse', () => {
  it.each([200, 201, 202, 204, 299])('%i is success', (status) => {
    expect(classifyResponse(status, null, '', now)).toEqual({ kind: 'success' });
  });

  it.each([408, 429, 500, 502, 503, 504, 599])('%i is retryable', (status) => {
    expect(classifyResponse(status, null, 'busy', now)).toEqual({ kind: 'retryable', error: `HTTP ${status}: busy` });
  });

  it.each([301, 302, 400, 401, 403, 404, 409, 410, 413, 422])('%i is a permanent failure', (status) => {
    expect(classifyResponse(status, '5', '', now)).toEqual({ kind: 'failure', error: `HTTP ${status}` });
  });

  it('carries Retry-After on retryable answers', () => {
    expect(classifyResponse(429, '1', '', now)).toEqual({ kind: 'retryable', error: 'HTTP 429', retryAfterMs: 1000 });
    expect(classifyResponse(503, 'Sat, 28 Nov 2026 10:00:30 GMT', '', now)).toEqual({ kind: 'retryable', error: 'HTTP 503', retryAfterMs: 30_000 });
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
  });

  it('reads an HTTP-date, never negative', () => {
    expect(parseRetryAfter('Sat, 28 Nov 2026 10:01:00 GMT', now)).toBe(60_000);
    expect(parseRetryAfter('Sat, 28 Nov 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });
});

describe('webhookSinkName', () => {
  it('is webhook:<host><path> without credentials, query or fragment', () => {
    expect(webhookSinkName('https://user:pa55@hooks.example.com:8443/a/b?token=xyz#frag')).toBe('webhook:hooks.example.com:8443/a/b');
    expect(webhookSinkName('http://127.0.0.1:9000')).toBe('webhook:127.0.0.1:9000/');
  });
});
