import type { BaselineStore } from '../store/store';

/**
 * Learning period per scope: no alerts until `learningMs` after the first point ever seen for
 * the scope. The first-seen time lives in the store (shared by replicas, kept across restarts);
 * this keeps the answers so the store is asked only when a batch holds an earlier point.
 */
/** `created`: this note recorded the scope's first point ever, as far as this process can tell. */
export type ScopeNoted = (scope: string, firstMs: number, created: boolean) => void;

export class LearningPeriod {
  private readonly firstSeen = new Map<string, number>();
  /** The learning log listens here (src/detect/learning-log.ts). */
  onNoted: ScopeNoted = () => undefined;

  constructor(
    private readonly store: BaselineStore,
    private readonly learningMs: number,
  ) {}

  /** Record the batch's earliest point per scope; returns each scope's first-seen time. */
  async note(earliestByScope: Map<string, number>): Promise<void> {
    if (this.learningMs === 0) return;
    const asks: Promise<void>[] = [];
    for (const [scope, t] of earliestByScope) {
      const known = this.firstSeen.get(scope);
      if (known !== undefined && known <= t) continue;
      asks.push(
        this.store.touchScope(scope, t).then((first) => {
          const cur = this.firstSeen.get(scope);
          this.firstSeen.set(scope, cur === undefined ? first : Math.min(cur, first));
          // The store kept our point as the earliest of a scope this process never saw: a new cluster.
          this.onNoted(scope, first, known === undefined && first === t);
        }),
      );
    }
    await Promise.all(asks);
  }

  /** True when an alert for a point at `pointMs` in `scope` is held back by the learning period. */
  learning(scope: string, pointMs: number): boolean {
    if (this.learningMs === 0) return false;
    const first = this.firstSeen.get(scope);
    // A scope never noted cannot be judged: holding back is the safe side, and note() runs first.
    if (first === undefined) return true;
    return pointMs < first + this.learningMs;
  }
}
