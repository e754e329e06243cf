import { ConfigError } from '../core/errors';
import type { Protocol } from '../core/observation';

/** What the decoder is configured to extract (the `metrics`, `traffic_metrics` and `*_attr` options). */
export interface DecoderOptions {
  metrics: string[];
  clusterAttr: string;
  sourceAttr: string;
  destAttr: string;
  sourceNamespaceAttr: string;
  destNamespaceAttr: string;
  /**
   * Metrics whose points become TrafficSamples (DecodeResult.samples). Empty: no samples, and
   * the decoder does exactly the work it did before samples existed.
   */
  trafficMetrics: string[];
  /** Data point attributes of the processes, read only for samples (defaults below). */
  sourceProcessAttr?: string;
  destProcessAttr?: string;
}

export const DEFAULT_SOURCE_PROCESS_ATTR = 'source.process.name';
export const DEFAULT_DEST_PROCESS_ATTR = 'dest.process.name';

/** Indexes of the attribute keys in use, in WatchSpec.keys order. */
export const K_CLUSTER = 0;
export const K_SOURCE = 1;
export const K_DEST = 2;
export const K_SOURCE_NS = 3;
export const K_DEST_NS = 4;
/** The process keys are in WatchSpec.keys only when samples are on. */
export const K_SOURCE_PROC = 5;
export const K_DEST_PROC = 6;
/** The most keys in use (size of per-key arrays); WatchSpec.keys.length is the count in use. */
export const KEY_COUNT = 7;

/** The options compiled once for the hot path: names and keys also as UTF-8 bytes to compare. */
export interface WatchSpec {
  names: readonly string[];
  nameBytes: readonly Buffer[];
  protocols: readonly Protocol[];
  byName: ReadonlyMap<string, Protocol>;
  /** The traffic metric names (empty: no samples), as UTF-8 too, and as a set. */
  trafficNames: readonly string[];
  trafficNameBytes: readonly Buffer[];
  trafficByName: ReadonlySet<string>;
  /** Attribute keys in use: 5 without samples, 7 with (the process keys). */
  keys: readonly string[];
  keyBytes: readonly Buffer[];
  /** Bit i set at [n] when keys[i] is n bytes long (n < 256): most keys are rejected by length alone. */
  keyLengthMask: Uint8Array;
}

/** Distinct metric names, each with its protocol (text before the first dot); ConfigError names `option`. */
function namesWithProtocols(list: readonly string[], option: string): { names: string[]; protocols: Protocol[] } {
  const names = [...new Set(list)];
  const protocols = names.map((name): Protocol => {
    const proto = name.split('.', 1)[0];
    if (proto !== 'tcp' && proto !== 'udp') {
      throw new ConfigError(option, 'metric names whose text before the first dot is "tcp" or "udp"', name);
    }
    return proto;
  });
  return { names, protocols };
}

export function compileWatchSpec(opts: DecoderOptions): WatchSpec {
  const { names, protocols } = namesWithProtocols(opts.metrics, 'metrics');
  const trafficNames = namesWithProtocols(opts.trafficMetrics, 'traffic_metrics').names;
  const keys = [opts.clusterAttr, opts.sourceAttr, opts.destAttr, opts.sourceNamespaceAttr, opts.destNamespaceAttr];
  // Without samples the process keys are not in the mask, so they cost nothing on the hot path.
  if (trafficNames.length > 0) keys.push(opts.sourceProcessAttr ?? DEFAULT_SOURCE_PROCESS_ATTR, opts.destProcessAttr ?? DEFAULT_DEST_PROCESS_ATTR);
  const keyBytes = keys.map((k) => Buffer.from(k, 'utf8'));
  const keyLengthMask = new Uint8Array(256);
  keyBytes.forEach((b, i) => {
    if (b.length < 256) keyLengthMask[b.length] |= 1 << i;
  });
  return {
    names,
    nameBytes: names.map((n) => Buffer.from(n, 'utf8')),
    protocols,
    byName: new Map(names.map((n, i) => [n, protocols[i]])),
    trafficNames,
    trafficNameBytes: trafficNames.map((n) => Buffer.from(n, 'utf8')),
    trafficByName: new Set(trafficNames),
    keys,
    keyBytes,
    keyLengthMask,
  };
}
