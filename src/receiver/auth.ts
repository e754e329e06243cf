import { createHash, timingSafeEqual } from 'node:crypto';

const BEARER = /^bearer[ \t]+(\S+)[ \t]*$/i;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks `Authorization: Bearer <token>` in constant time. Both sides are hashed first so the
 * comparison neither fails early on a length mismatch nor reveals the token's length.
 */
export class BearerAuth {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  /** True when `header` (the Authorization value, possibly absent) carries the token. */
  check(header: string | undefined): boolean {
    const m = header === undefined ? null : BEARER.exec(header);
    // Hash something even without a token so a missing header costs the same as a wrong one.
    const given = digest(m ? m[1] : '');
    return timingSafeEqual(given, this.expected) && m !== null;
  }
}

/** A check for an optional token: undefined (or empty) means no authentication is required. */
export function bearerCheck(token: string | undefined): (header: string | undefined) => boolean {
  if (!token) return () => true;
  const auth = new BearerAuth(token);
  return (header) => auth.check(header);
}
