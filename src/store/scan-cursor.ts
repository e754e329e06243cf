import { EdgewatchError } from '../core/errors';

/** A scanEdges cursor this store did not issue (or one mangled on the way). */
export class ScanCursorError extends EdgewatchError {
  constructor(cursor: string) {
    super('INVALID_ARGUMENT', `invalid edge scan cursor ${JSON.stringify(cursor.slice(0, 80))}`, false);
  }
}

/** Cursors of scanEdges: a JSON array, base64url, so they pass through URLs and logs unharmed. */
export function encodeCursor(parts: unknown[]): string {
  return Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');
}

/** The array encodeCursor packed, checked by `valid`; anything else throws ScanCursorError. */
export function decodeCursor<T extends unknown[]>(cursor: string, valid: (parts: unknown[]) => parts is T): T {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ScanCursorError(cursor);
  }
  if (!Array.isArray(parts) || !valid(parts)) throw new ScanCursorError(cursor);
  return parts;
}
