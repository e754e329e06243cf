import type { Protocol } from '../core/observation';

/** One historical observation of an edge, from either input format. */
export interface ReplayPoint {
  cluster: string;
  protocol: Protocol;
  source: string;
  dest: string;
  timeMs: number;
}
