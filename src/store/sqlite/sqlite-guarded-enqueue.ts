import type { AlertDraft } from '../../core/alert';
import { guardedProtocol } from '../guarded-enqueue';
import type { GuardedEnqueue } from '../store';
import type { StormPolicy } from '../storm';
import type { SqliteOutbox } from './sqlite-outbox';
import { StormBatch, type SqliteStorm } from './sqlite-storm';

/**
 * enqueueGuarded of SqliteStore, inside the store's BEGIN IMMEDIATE transaction: the same storm
 * decision observe makes for a new edge's alert (same window rows, same decided-ids table), then
 * the enqueue, committed together.
 */
export function enqueueGuardedSqlite(storm: SqliteStorm, outbox: SqliteOutbox, draft: AlertDraft, policy: StormPolicy, nowMs: number): GuardedEnqueue {
  const batch = new StormBatch();
  const decision = storm.decide(draft, guardedProtocol(draft), policy, nowMs, batch);
  storm.finish(batch);
  if (decision === 'held') return 'held';
  if (decision === 'alert' && outbox.enqueue(draft, nowMs)) return 'enqueued';
  return 'exists';
}
