import { ConfigError } from '../core/errors';
import type { Protocol } from '../core/observation';

/** What the decoder is configured to extract (the `metrics` and `*_attr` options). */
export interface DecoderOptions {
  metrics: string[];
  clusterAttr: string;
  sourceAttr: string;
  destAttr: string;
  sourceNamespaceAttr: string;
  destNamespaceAttr: string;
}

/** Indexes of the attribute keys in use, in WatchSpec.keys order. */
export const K_CLUSTER = 0;
export const K_SOURCE = 1;
export const K_DEST = 2;
export const K_SOURCE_NS = 3;
export const K_DEST_NS = 4;
export const KEY_COUNT = 5;

/** The options compiled once for the hot path: names and keys also as UTF-8 bytes to compare. */
export interface WatchSpec {
  names: readonly string[];
  nameBytes: readonly Buffer[];
  protocols: readonly Protocol[];
  byName: ReadonlyMap<string, Protocol>;
  keys: readonly string[];
  keyBytes: readonly Buffer[];
  /** Bit i set at [n] when keys[i] is n bytes long (n < 256): most keys are rejected by length alone. */
  keyLengthMask: Uint8Array;
}

export function compileWatchSpec(opts: DecoderOptions): WatchSpec {
  const names = [...new Set(opts.metrics)];
  const protocols = names.map((name): Protocol => {
    const proto = name.split('.', 1)[0];
    if (proto !== 'tcp' && proto !== 'udp') {
      throw new ConfigError('metrics', 'metric names whose text before the first dot is "tcp" or "udp"', name);
    }
    return proto;
  });
  const keys = [opts.clusterAttr, opts.sourceAttr, opts.destAttr, opts.sourceNamespaceAttr, opts.destNamespaceAttr];
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
    keys,
    keyBytes,
    keyLengthMask,
  };
}
