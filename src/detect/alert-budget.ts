import type { Protocol } from '../core/observation';
import type { ObserveOutcome, Sighting } from '../store/store';

/**
 * A cap on alerts per cluster (the storm guard). Budget is reserved before the store decides and
 * the unused part handed back after, so concurrent batches never overspend it.
 */
export interface AlertBudget {
  /** Reserve up to `want` alerts of `cluster` at `nowMs`; returns how many were granted. */
  reserve(cluster: string, want: number, nowMs: number): number;
  /** Hand back `n` of the alerts reserved at `reservedAtMs` that were not raised. */
  release(cluster: string, n: number, reservedAtMs: number): void;
  /** A new edge of `cluster` raised no alert because the budget was spent. */
  heldBack(cluster: string, protocol: Protocol, nowMs: number): void;
}

export interface BudgetedOutcome {
  outcomes: ObserveOutcome[];
  /** Per sighting: new, wanted an alert, and held back by the budget. */
  heldBack: boolean[];
}

/**
 * Rounds after the first that try to spend budget handed back by candidates that turned out
 * known (a cold cache after a restart makes every edge a candidate). Bounded, so a batch of many
 * known edges at a nearly spent budget costs a few store calls, not one per budget unit; past
 * it, a new edge may be held back although budget was left (it is counted and listed anyway).
 */
const MAX_EXTRA_ROUNDS = 16;

/**
 * Runs `observe` over `sightings` so that no cluster raises more alerts than the budget grants.
 * Whether an edge is new is only known once the store decided it, atomically with enqueueing
 * its alert; so a sighting gets its alert draft only with budget reserved for it. Without
 * pressure (every cluster's candidates fit its budget) this is a single observe call; under
 * pressure, candidates without budget are observed without drafts (baseline only), and a new
 * one among them is reported held back.
 */
export async function observeWithBudget(
  budget: AlertBudget | null,
  sightings: Sighting[],
  clusters: string[],
  observe: (batch: Sighting[]) => Promise<ObserveOutcome[]>,
  nowMs: number,
): Promise<BudgetedOutcome> {
  const heldBack = sightings.map(() => false);
  if (budget === null) return { outcomes: await observe(sightings), heldBack };

  const outcomes: ObserveOutcome[] = new Array<ObserveOutcome>(sightings.length);
  const queues = new Map<string, number[]>();
  let round: number[] = [];
  sightings.forEach((s, i) => {
    if (s.alert === undefined) {
      round.push(i);
      return;
    }
    const q = queues.get(clusters[i]);
    if (q) q.push(i);
    else queues.set(clusters[i], [i]);
  });

  for (let r = 0; r <= MAX_EXTRA_ROUNDS; r++) {
    const granted = new Map<string, number>();
    for (const [cluster, q] of queues) {
      const g = budget.reserve(cluster, q.length, nowMs);
      if (g === 0) continue;
      granted.set(cluster, g);
      round.push(...q.splice(0, g));
    }
    if (round.length === 0) break;
    const results = await observe(round.map((i) => sightings[i])).catch((err: unknown) => {
      for (const [cluster, g] of granted) budget.release(cluster, g, nowMs);
      throw err;
    });
    round.forEach((i, k) => {
      outcomes[i] = results[k];
      const cluster = clusters[i];
      if (results[k].alerted && granted.has(cluster)) granted.set(cluster, (granted.get(cluster) ?? 0) - 1);
    });
    for (const [cluster, unused] of granted) if (unused > 0) budget.release(cluster, unused, nowMs);
    round = [];
    for (const [cluster, q] of queues) if (q.length === 0) queues.delete(cluster);
    if (queues.size === 0 || granted.size === 0) break;
  }

  const rest = [...queues.values()].flat().sort((a, b) => a - b);
  if (rest.length === 0) return { outcomes, heldBack };
  const results = await observe(rest.map((i) => ({ key: sightings[i].key, firstMs: sightings[i].firstMs, lastMs: sightings[i].lastMs })));
  rest.forEach((i, k) => {
    outcomes[i] = results[k];
    if (!results[k].isNew) return;
    heldBack[i] = true;
    budget.heldBack(clusters[i], sightings[i].key.protocol, nowMs);
  });
  return { outcomes, heldBack };
}
