import type { EdgeKey } from '../core/edge';
import type { Protocol } from '../core/observation';
import type { EdgeFacts, Sighting } from './store';

/**
 * The per-workload index of alert context, as every store keeps it: each edge is recorded at
 * both of its ends, as the member `<protocol><dir>|<peer>` of its workload (dir `>` outgoing,
 * `<` incoming), with the edge's first-seen. A workload's earliest member is when it first
 * appeared; its distinct peers are what it talked to; `<other protocol>>|<dest>` at the source
 * answers "known on the other protocol". Shared here so the stores agree on every detail.
 */

/** Outgoing (the workload is the source) or incoming; a self-loop (source = dest) is both at once. */
export type EndDirs = '>' | '<' | '><';

/** One end of one sighting: what to look up and record at one workload. */
export interface EndOp {
  /** Index of the sighting. */
  sighting: number;
  scope: string;
  workload: string;
  protocol: Protocol;
  dirs: EndDirs;
  peer: string;
  firstMs: number;
}

/** What one workload's index answered for one end, before recording it. */
export interface EndFacts {
  firstSeenMs: number | null;
  peers: number;
  /** Only asked at the source end (dirs containing '>'). */
  otherProtocol: boolean;
}

/** A workload of a scope, unambiguous for any bytes (the scope is length-prefixed, as in edgeId). */
export function workloadId(scope: string, workload: string): string {
  return `${scope.length}:${scope}|${workload}`;
}

export function endMember(protocol: Protocol, dir: '>' | '<', peer: string): string {
  return `${protocol}${dir}|${peer}`;
}

/** The members a sighting is at this end: one, or two for a self-loop (it is its own peer both ways). */
export function selfMembers(op: Pick<EndOp, 'protocol' | 'dirs' | 'peer'>): string[] {
  return op.dirs === '><' ? [endMember(op.protocol, '>', op.peer), endMember(op.protocol, '<', op.peer)] : [endMember(op.protocol, op.dirs, op.peer)];
}

export function otherProtocol(p: Protocol): Protocol {
  return p === 'tcp' ? 'udp' : 'tcp';
}

/** The ends of each sighting, in sighting order (source end first). */
export function endOps(sightings: readonly Pick<Sighting, 'key' | 'firstMs'>[]): EndOp[] {
  const ops: EndOp[] = [];
  sightings.forEach((s, i) => {
    const { scope, protocol, source, dest } = s.key;
    if (source === dest) {
      ops.push({ sighting: i, scope, workload: source, protocol, dirs: '><', peer: dest, firstMs: s.firstMs });
      return;
    }
    ops.push({ sighting: i, scope, workload: source, protocol, dirs: '>', peer: dest, firstMs: s.firstMs });
    ops.push({ sighting: i, scope, workload: dest, protocol, dirs: '<', peer: source, firstMs: s.firstMs });
  });
  return ops;
}

/** The ops of one edge, for removing it from the index (prune, forget). */
export function edgeEnds(key: EdgeKey): EndOp[] {
  return endOps([{ key, firstMs: 0 }]);
}

/** Facts per sighting from the answers of its ends (`answers[k]` belongs to `ops[k]`). */
export function assembleFacts(count: number, ops: readonly EndOp[], answers: readonly EndFacts[]): EdgeFacts[] {
  const out: EdgeFacts[] = Array.from({ length: count }, () => ({
    sourceFirstSeenMs: null,
    destFirstSeenMs: null,
    sourcePeers: 0,
    destPeers: 0,
    otherProtocol: false,
  }));
  ops.forEach((op, k) => {
    const f = out[op.sighting];
    const a = answers[k];
    if (op.dirs !== '<') {
      f.sourceFirstSeenMs = a.firstSeenMs;
      f.sourcePeers = a.peers;
      f.otherProtocol = a.otherProtocol;
    }
    if (op.dirs !== '>') {
      f.destFirstSeenMs = a.firstSeenMs;
      f.destPeers = a.peers;
    }
  });
  return out;
}
