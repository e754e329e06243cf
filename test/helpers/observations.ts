import type { Observation, Protocol } from '../../src/core/observation';

export interface ObsSpec {
  cluster?: string;
  src?: string;
  dst?: string;
  proto?: Protocol;
  t: number;
  srcNs?: string;
  dstNs?: string;
}

/** An Observation as the decoder would produce it. */
export function obs(s: ObsSpec): Observation {
  const cluster = s.cluster ?? 'prod-eu';
  const source = s.src ?? 'frontend';
  const dest = s.dst ?? 'payments';
  return {
    cluster,
    protocol: s.proto ?? 'tcp',
    source,
    dest,
    sourceNamespace: s.srcNs ?? 'shop',
    destNamespace: s.dstNs ?? 'shop',
    timeMs: s.t,
    attributes: () => ({ 'k8s.cluster.name': cluster, 'source.workload.name': source, 'dest.workload.name': dest }),
  };
}
