import { STORM_RULE, type Alert } from '../core/alert';
import type { OutboxEntry } from '../store/store';
import { groupKeyOf, MAX_GROUP_SIZE, type GroupingSpec } from './alert-group';

/** A claimed outbox entry waiting for its group to be sent. */
export interface HeldEntry {
  entry: OutboxEntry;
  alert: Alert;
  /** When this consumer's lease of the entry ends. */
  leaseEndsMs: number;
}

export interface HeldGroup {
  key: string;
  /** When the group is sent: its oldest alert's enqueue time + group_wait (now, once it is full). */
  dueMs: number;
  /** No more alerts join it (full, or a storm summary): later alerts of its key open a new group. */
  closed: boolean;
  items: HeldEntry[];
}

/**
 * The alerts a grouping sink holds, by group, until each group is due: Alertmanager's
 * group_wait, with the wait counted from the oldest alert's enqueue time in the outbox (so a
 * replica taking over a group after a restart waits only for what is left). Pure bookkeeping;
 * the pump claims, sends and settles.
 */
export class GroupBuffer {
  private readonly open = new Map<string, HeldGroup>();
  private readonly groups = new Set<HeldGroup>();
  private readonly byId = new Map<string, HeldEntry>();

  constructor(
    private readonly spec: GroupingSpec,
    private readonly maxGroupSize = MAX_GROUP_SIZE,
  ) {}

  /** Entries held. */
  get size(): number {
    return this.byId.size;
  }

  /**
   * Hold a claimed entry in its group. An entry held already (claimed again after its lease ran
   * out while it waited) only gets the new lease end. Storm summaries, already a summary, are
   * never held: each is a group of its own, due at once.
   */
  add(entry: OutboxEntry, alert: Alert, leaseEndsMs: number, nowMs: number): void {
    const known = this.byId.get(entry.alertId);
    if (known !== undefined) {
      known.leaseEndsMs = leaseEndsMs;
      return;
    }
    const item: HeldEntry = { entry, alert, leaseEndsMs };
    this.byId.set(entry.alertId, item);
    if (alert.rule === STORM_RULE) {
      this.groups.add({ key: `storm:${alert.id}`, dueMs: nowMs, closed: true, items: [item] });
      return;
    }
    const key = groupKeyOf(alert, this.spec.by);
    const due = entry.createdMs + this.spec.waitMs;
    let group = this.open.get(key);
    if (group === undefined) {
      group = { key, dueMs: due, closed: false, items: [] };
      this.open.set(key, group);
      this.groups.add(group);
    }
    group.items.push(item);
    group.dueMs = Math.min(group.dueMs, due);
    if (group.items.length >= this.maxGroupSize) {
      group.closed = true;
      group.dueMs = Math.min(group.dueMs, nowMs);
      this.open.delete(key);
    }
  }

  /** Remove and return up to `max` groups due at `nowMs`, the longest due first. */
  takeDue(nowMs: number, max: number): HeldGroup[] {
    const due = [...this.groups].filter((g) => g.dueMs <= nowMs).sort((a, b) => a.dueMs - b.dueMs);
    return due.slice(0, Math.max(0, max)).map((g) => this.remove(g));
  }

  /** When the next group comes due, or null when nothing is held. */
  nextDueMs(): number | null {
    let next: number | null = null;
    for (const g of this.groups) if (next === null || g.dueMs < next) next = g.dueMs;
    return next;
  }

  /** Remove and return every entry held (shutdown: they go back to the outbox). */
  takeAll(): HeldEntry[] {
    const all = [...this.byId.values()];
    this.open.clear();
    this.groups.clear();
    this.byId.clear();
    return all;
  }

  private remove(g: HeldGroup): HeldGroup {
    this.groups.delete(g);
    if (this.open.get(g.key) === g) this.open.delete(g.key);
    for (const item of g.items) this.byId.delete(item.entry.alertId);
    return g;
  }
}
