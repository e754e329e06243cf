import type { AlertDraft } from '../../core/alert';
import type { Protocol } from '../../core/observation';
import { stormWindowStart, type StormPolicy, type StormSummaryBuilder, type StormWindow } from '../storm';

interface WindowRow {
  cluster: string;
  startMs: number;
  endMs: number;
  granted: number;
  firstHeldMs: number | null;
  held: Partial<Record<Protocol, number>>;
  summaryId: string | null;
}

/** 'alert': enqueue it; 'held': counted in a window; 'none': this alert id was decided before. */
export type StormDecision = 'alert' | 'held' | 'none';

/**
 * The storm windows of MemoryStore. The store calls `decide` inside observe, in the same
 * synchronous step as the "new" decision and the enqueue, which is what makes it exact.
 */
export class MemoryStorm {
  /** By `<start>|<cluster>`. */
  private readonly windows = new Map<string, WindowRow>();
  /** Alert ids held back, with their window's end (prune). An alerted id is in the outbox. */
  private readonly heldIds = new Map<string, number>();

  /** `alertExists`: the outbox has the id (a replay): decided before, nothing to count. */
  decide(draft: Pick<AlertDraft, 'id' | 'cluster'>, protocol: Protocol, policy: StormPolicy, nowMs: number, alertExists: boolean): StormDecision {
    if (alertExists || this.heldIds.has(draft.id)) return 'none';
    let w = this.window(draft.cluster, stormWindowStart(nowMs, policy.windowMs), policy.windowMs);
    if (w.granted < policy.maxPerWindow) {
      w.granted++;
      return 'alert';
    }
    // The current window is summarised only if the clock went back: count in a later one.
    while (w.summaryId !== null) w = this.window(draft.cluster, w.endMs, policy.windowMs);
    w.held[protocol] = (w.held[protocol] ?? 0) + 1;
    w.firstHeldMs = w.firstHeldMs === null ? nowMs : Math.min(w.firstHeldMs, nowMs);
    this.heldIds.set(draft.id, w.endMs);
    return 'held';
  }

  /** Summaries of ended windows; `enqueue` is the outbox's (idempotent by id). */
  summarise(graceMs: number, build: StormSummaryBuilder, nowMs: number, enqueue: (d: AlertDraft) => boolean): AlertDraft[] {
    const enqueued: AlertDraft[] = [];
    for (const w of this.windows.values()) {
      if (w.summaryId !== null || w.firstHeldMs === null || w.endMs + graceMs > nowMs) continue;
      const draft = build(toStormWindow(w, w.firstHeldMs));
      if (enqueue(draft)) enqueued.push(draft);
      w.summaryId = draft.id;
    }
    return enqueued;
  }

  prune(beforeMs: number): void {
    for (const [k, w] of this.windows) if (w.endMs < beforeMs) this.windows.delete(k);
    for (const [id, end] of this.heldIds) if (end < beforeMs) this.heldIds.delete(id);
  }

  private window(cluster: string, startMs: number, windowMs: number): WindowRow {
    const k = `${startMs}|${cluster}`;
    let w = this.windows.get(k);
    if (!w) {
      w = { cluster, startMs, endMs: startMs + windowMs, granted: 0, firstHeldMs: null, held: {}, summaryId: null };
      this.windows.set(k, w);
    }
    return w;
  }
}

function toStormWindow(w: WindowRow, firstMs: number): StormWindow {
  return { cluster: w.cluster, windowStartMs: w.startMs, windowEndMs: w.endMs, firstMs, byProtocol: { ...w.held } };
}
