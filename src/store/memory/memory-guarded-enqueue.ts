import type { AlertDraft } from '../../core/alert';
import { guardedProtocol } from '../guarded-enqueue';
import type { GuardedEnqueue } from '../store';
import type { StormPolicy } from '../storm';
import type { MemoryOutbox } from './memory-outbox';
import type { MemoryStorm } from './memory-storm';

/** enqueueGuarded of MemoryStore: the storm decision and the enqueue in one synchronous step. */
export function enqueueGuardedMemory(storm: MemoryStorm, outbox: MemoryOutbox, draft: AlertDraft, policy: StormPolicy, nowMs: number): GuardedEnqueue {
  const decision = storm.decide(draft, guardedProtocol(draft), policy, nowMs, outbox.has(draft.id));
  if (decision === 'held') return 'held';
  if (decision === 'alert' && outbox.enqueue(draft, null, nowMs)) return 'enqueued';
  return 'exists';
}
