import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * `sha256=<hex HMAC-SHA256>` of the exact body bytes, the value of X-Edgewatch-Signature.
 * Signing the bytes sent (not a re-serialisation) is what lets a receiver verify before parsing.
 */
export function signBody(body: Uint8Array | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** What a receiver does: constant-time comparison of the header against our own signature. */
export function verifySignature(body: Uint8Array | string, secret: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signBody(body, secret));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
