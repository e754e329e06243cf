interface Lease {
  owner: string;
  untilMs: number;
}

/** Named leases of MemoryStore (BaselineStore.acquireLease / releaseLease), one process only. */
export class MemoryLeases {
  private readonly leases = new Map<string, Lease>();

  acquire(name: string, owner: string, ttlMs: number, nowMs: number): boolean {
    const cur = this.leases.get(name);
    if (cur !== undefined && cur.owner !== owner && cur.untilMs > nowMs) return false;
    this.leases.set(name, { owner, untilMs: nowMs + ttlMs });
    return true;
  }

  release(name: string, owner: string, nowMs: number): boolean {
    const cur = this.leases.get(name);
    if (cur === undefined || cur.owner !== owner) return false;
    this.leases.delete(name);
    // An expired lease is no longer held: report it as not released, as the other stores do.
    return cur.untilMs > nowMs;
  }
}
