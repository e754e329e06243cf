import { PRUNE_SLICE_EDGES, yieldToIntake } from '../prune-slices';
import type { TrafficBaseline, TrafficDelta } from '../store';
import { addMoments, baselineOf, checkRead, emptyState, foldState, groupDeltas, latestHour, slotOf, type TrafficState } from '../traffic-state';

/**
 * The traffic baselines of MemoryStore (addTrafficMoments, readTrafficBaselines): one
 * TrafficState (traffic-state.ts) per key in a Map. Every call is one synchronous step.
 */
export class MemoryTraffic {
  private readonly states = new Map<string, TrafficState>();

  add(deltas: readonly TrafficDelta[]): void {
    for (const [key, slots] of groupDeltas(deltas)) {
      let state = this.states.get(key);
      if (!state) this.states.set(key, (state = emptyState()));
      for (const [id, m] of slots) {
        const { hour, metric } = slotOf(id);
        addMoments(state, hour, metric, m);
      }
    }
  }

  read(keys: readonly string[], hour: number, decay: number): TrafficBaseline[] {
    checkRead(hour, decay);
    const out: TrafficBaseline[] = [];
    for (const key of keys) {
      const state = this.states.get(key);
      if (!state) continue;
      foldState(state, hour, decay);
      const b = baselineOf(key, state);
      if (b) out.push(b);
    }
    return out;
  }

  /** Deletes keys whose latest hour is before `cutHour`, yielding every PRUNE_SLICE_EDGES keys; `check` throws once the store closed. */
  async prune(cutHour: number, check: () => void): Promise<void> {
    let seen = 0;
    // A Map iterator stays valid across the yields (deleted rows skipped, added ones visited).
    for (const [key, state] of this.states) {
      if (latestHour(state) < cutHour) this.states.delete(key);
      if (++seen % PRUNE_SLICE_EDGES === 0) {
        await yieldToIntake();
        check();
      }
    }
  }
}
