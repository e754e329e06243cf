/**
 * A tiny protobuf writer for hand-built test messages: fields are written exactly in the order
 * given, so tests control field order, unknown fields and malformed bytes. Independent of the
 * decoder under test.
 */
export type Bytes = Buffer;

export function varint(n: bigint | number): Bytes {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v === 0n ? b : b | 0x80);
  } while (v !== 0n);
  return Buffer.from(out);
}

export const tag = (field: number, wireType: number): Bytes => varint((BigInt(field) << 3n) | BigInt(wireType));

export const msg = (...parts: Bytes[]): Bytes => Buffer.concat(parts);

/** Length-delimited field (a sub-message, string or bytes). */
export const len = (field: number, ...payload: Bytes[]): Bytes => {
  const body = Buffer.concat(payload);
  return msg(tag(field, 2), varint(body.length), body);
};

export const str = (field: number, s: string): Bytes => len(field, Buffer.from(s, 'utf8'));

export const vint = (field: number, n: bigint | number): Bytes => msg(tag(field, 0), varint(n));

export function fixed64(field: number, n: bigint): Bytes {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, n));
  return msg(tag(field, 1), b);
}

export function double(field: number, x: number): Bytes {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return msg(tag(field, 1), b);
}

export function fixed32(field: number, n: number): Bytes {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return msg(tag(field, 5), b);
}

// OTLP builders (field numbers from OTLP-WIRE.md).
export const anyString = (s: string): Bytes => str(1, s);
export const kv = (key: string, value: Bytes | string): Bytes => len(7, keyValue(key, value));
export const keyValue = (key: string, value: Bytes | string): Bytes =>
  msg(str(1, key), len(2, typeof value === 'string' ? anyString(value) : value));
export const resourceAttr = (key: string, value: string): Bytes => len(1, keyValue(key, value));

/** NumberDataPoint body from parts (attributes via kv(), time via fixed64(3, …), …). */
export const point = (...parts: Bytes[]): Bytes => msg(...parts);
export const timeNs = (ns: bigint): Bytes => fixed64(3, ns);

export const sum = (...points: Bytes[]): Bytes => len(7, ...points.map((p) => len(1, p)), vint(2, 1), vint(3, 1));
export const gauge = (...points: Bytes[]): Bytes => len(5, ...points.map((p) => len(1, p)));
export const metric = (name: string, data: Bytes, ...rest: Bytes[]): Bytes => len(2, str(1, name), data, ...rest);
/** A Metric whose name follows its data. */
export const metricNameLast = (name: string, data: Bytes): Bytes => len(2, data, str(1, name));
export const scopeMetrics = (...metrics: Bytes[]): Bytes => len(2, ...metrics);
export const resource = (...attrs: Bytes[]): Bytes => len(1, ...attrs);
export const resourceMetrics = (...parts: Bytes[]): Bytes => len(1, ...parts);
export const request = (...rms: Bytes[]): Bytes => msg(...rms);

/** The edge attributes of the default options. */
export const edge = (src: string, dst: string, srcNs?: string, dstNs?: string): Bytes[] => [
  kv('source.workload.name', src),
  kv('dest.workload.name', dst),
  ...(srcNs === undefined ? [] : [kv('source.namespace.name', srcNs)]),
  ...(dstNs === undefined ? [] : [kv('dest.namespace.name', dstNs)]),
];
