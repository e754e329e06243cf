import type { EdgeKey } from '../../core/edge';
import { assembleFacts, edgeEnds, endMember, endOps, otherProtocol, selfMembers, workloadId, type EndFacts, type EndOp } from '../edge-ends';
import type { EdgeFacts, Sighting } from '../store';

/** One workload of one scope: its members (`<protocol><dir>|<peer>` → first-seen) and a refcount per peer. */
interface Workload {
  members: Map<string, number>;
  peers: Map<string, number>;
}

/** The reference per-workload index of alert context (edge-ends.ts), in Maps. */
export class MemoryEdgeIndex {
  private readonly workloads = new Map<string, Workload>();

  index(sightings: readonly Pick<Sighting, 'key' | 'firstMs'>[]): EdgeFacts[] {
    const ops = endOps(sightings);
    return assembleFacts(sightings.length, ops, ops.map((op) => this.apply(op)));
  }

  /** Drop an edge from both of its ends (prune, forget); a member that is not there is ignored. */
  remove(key: EdgeKey): void {
    for (const op of edgeEnds(key)) {
      const id = workloadId(op.scope, op.workload);
      const w = this.workloads.get(id);
      if (!w) continue;
      for (const m of selfMembers(op)) {
        if (!w.members.delete(m)) continue;
        const refs = (w.peers.get(op.peer) ?? 0) - 1;
        if (refs > 0) w.peers.set(op.peer, refs);
        else w.peers.delete(op.peer);
      }
      if (w.members.size === 0) this.workloads.delete(id);
    }
  }

  private apply(op: EndOp): EndFacts {
    const id = workloadId(op.scope, op.workload);
    let w = this.workloads.get(id);
    if (!w) {
      w = { members: new Map(), peers: new Map() };
      this.workloads.set(id, w);
    }
    const selves = selfMembers(op);
    let first: number | null = null;
    for (const [m, ms] of w.members) if (!selves.includes(m) && (first === null || ms < first)) first = ms;
    const present = selves.filter((m) => w.members.has(m)).length;
    const refs = w.peers.get(op.peer) ?? 0;
    // The peer only counts if something besides this edge links it.
    const peers = w.peers.size - (present > 0 && refs <= present ? 1 : 0);
    const other = op.dirs !== '<' && w.members.has(endMember(otherProtocol(op.protocol), '>', op.peer));
    for (const m of selves) {
      const stored = w.members.get(m);
      if (stored === undefined) {
        w.members.set(m, op.firstMs);
        w.peers.set(op.peer, (w.peers.get(op.peer) ?? 0) + 1);
      } else if (op.firstMs < stored) {
        w.members.set(m, op.firstMs);
      }
    }
    return { firstSeenMs: first, peers, otherProtocol: other };
  }
}
