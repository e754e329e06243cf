import { StoreUnavailableError } from '../../core/errors';

/**
 * Maps a failure of a SQLite call to StoreUnavailableError (retryable at the boundary):
 * SQLite errors (SQLITE_BUSY, SQLITE_IOERR, SQLITE_FULL, SQLITE_NOTADB, ...), a closed
 * connection, and file-system errors while opening. Anything else is a bug and is rethrown as is.
 * Checks are by shape, not `instanceof`: the addon keeps the SqliteError class of the first
 * module instance that loaded it, and Node's errors may come from another realm (jest's VM).
 */
export function toStoreError(op: string, err: unknown): Error {
  if (err instanceof StoreUnavailableError) return err;
  const e = err as Partial<NodeJS.ErrnoException> | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (e?.name === 'SqliteError' || code?.startsWith('SQLITE_')) {
    return new StoreUnavailableError(`sqlite ${op} failed: ${code ?? 'SQLITE_ERROR'}: ${message}`, err);
  }
  if (/database connection is not open/i.test(message)) {
    return new StoreUnavailableError(`sqlite ${op} failed: the database is closed`, err);
  }
  if (code !== undefined && typeof e?.syscall === 'string') {
    return new StoreUnavailableError(`sqlite ${op} failed: ${code}: ${message}`, err);
  }
  return typeof e?.message === 'string' ? (err as Error) : new Error(message);
}
