import type { AlertDraft } from '../core/alert';
import type { Protocol } from '../core/observation';

/**
 * The protocol a guarded alert is counted under when held back (BaselineStore.enqueueGuarded):
 * the draft's, which must be set (a storm summary's null protocol is never guarded).
 */
export function guardedProtocol(draft: AlertDraft): Protocol {
  if (draft.protocol === null) throw new TypeError(`enqueueGuarded: alert ${draft.id} has no protocol to count it under`);
  return draft.protocol;
}
