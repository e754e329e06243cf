import { userInfo } from 'node:os';
import type { DestinationStream } from 'pino';
import { BadQueryError } from '../admin/api';
import { Triage, TriageConflictError } from '../admin/triage';
import { parseUser, TriageInputError } from '../admin/triage-input';
import { EdgewatchError } from '../core/errors';
import { createLogger } from '../telemetry/logger';
import type { CliIo } from './replay';
import { openCliStore, type CliStore } from './store-cli';

export interface TriageCli extends CliStore {
  triage: Triage;
}

/** `--user`, else the login name: who the CLI records as making the change. */
export function cliUser(opts: Record<string, unknown>): string {
  if (typeof opts.user === 'string') return parseUser(opts.user, '--user');
  try {
    return parseUser(userInfo().username, 'login name');
  } catch {
    return 'cli';
  }
}

/**
 * Runs a lifecycle command against the store, like `edgewatch edges` (same --config/--store).
 * State changes are logged as JSON lines on stderr, as the service logs them; bad arguments are
 * a usage error (exit 2 with the message naming the flag).
 */
export async function withTriage(opts: Record<string, unknown>, io: CliIo, fn: (t: TriageCli) => Promise<void>): Promise<void> {
  const s = await openCliStore(opts);
  const logger = createLogger(s.cfg.logLevel, io.stderr as DestinationStream);
  const triage = new Triage(s.store, { baselineScope: s.cfg.baselineScope }, logger);
  try {
    await fn({ ...s, triage });
  } catch (err) {
    if (err instanceof TriageInputError || err instanceof BadQueryError || err instanceof TriageConflictError) {
      throw new EdgewatchError('INVALID_ARGUMENT', err.message, false);
    }
    throw err;
  } finally {
    await s.store.close();
  }
}

/** Flag values as the API's JSON body would carry them. */
export function flagFields(opts: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) if (typeof opts[n] === 'string') out[n] = opts[n];
  return out;
}
