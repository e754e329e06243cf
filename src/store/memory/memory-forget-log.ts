import type { EdgeKey } from '../../core/edge';
import { FORGET_LOG_MAX_ENTRIES, seqAfter } from '../forget-log';
import type { ForgetLogPage } from '../store';

/** The memory store's forget log: forgets numbered 1, 2, 3…, the last FORGET_LOG_MAX_ENTRIES kept. */
export class MemoryForgetLog {
  private entries: { seq: number; key: EdgeKey }[] = [];
  private end = 0;

  append(key: EdgeKey): void {
    this.entries.push({ seq: ++this.end, key: { ...key } });
    // Trim in chunks so appending stays O(1) amortised.
    if (this.entries.length >= 2 * FORGET_LOG_MAX_ENTRIES) this.entries = this.entries.slice(-FORGET_LOG_MAX_ENTRIES);
  }

  since(cursor: string | null): ForgetLogPage {
    const after = seqAfter(cursor, this.end);
    if (after === null) return { cursor: String(this.end), keys: [], truncated: cursor !== null };
    const keys = this.entries.filter((e) => e.seq > after).map((e) => ({ ...e.key }));
    return { cursor: String(this.end), keys, truncated: false };
  }
}
