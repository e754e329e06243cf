import { createHash } from 'node:crypto';
import type { Protocol } from './observation';

/**
 * The identity of an edge in the baseline. `scope` is the cluster name under scope `cluster`
 * and the constant GLOBAL_SCOPE under scope `global` (whose history ignores the cluster).
 */
export interface EdgeKey {
  scope: string;
  protocol: Protocol;
  source: string;
  dest: string;
}

export const GLOBAL_SCOPE = '*';

/**
 * Unambiguous string form of an edge for any bytes: each part is length-prefixed, so no
 * choice of separator inside a workload name can make two edges collide.
 */
export function edgeId(k: EdgeKey): string {
  return `${k.scope.length}:${k.scope}|${k.protocol}|${k.source.length}:${k.source}|${k.dest}`;
}

/** Inverse of edgeId. Throws on a string edgeId did not produce. */
export function parseEdgeId(id: string): EdgeKey {
  let pos = 0;
  const lenPart = (): string => {
    const colon = id.indexOf(':', pos);
    if (colon < 0) throw new Error(`bad edge id: ${id}`);
    const len = Number(id.slice(pos, colon));
    if (!Number.isInteger(len) || len < 0) throw new Error(`bad edge id: ${id}`);
    const value = id.slice(colon + 1, colon + 1 + len);
    pos = colon + 1 + len;
    if (id[pos] !== '|') throw new Error(`bad edge id: ${id}`);
    pos += 1;
    return value;
  };
  const scope = lenPart();
  const bar = id.indexOf('|', pos);
  const protocol = id.slice(pos, bar);
  if (protocol !== 'tcp' && protocol !== 'udp') throw new Error(`bad edge id: ${id}`);
  pos = bar + 1;
  const source = lenPart();
  const dest = id.slice(pos);
  return { scope, protocol, source, dest };
}

/** Alert id, stable per appearance: the same edge first seen at the same time always gets it. */
export function alertId(k: EdgeKey, firstSeenMs: number): string {
  return createHash('sha256').update(edgeId(k)).update('@').update(String(firstSeenMs)).digest('hex').slice(0, 32);
}
