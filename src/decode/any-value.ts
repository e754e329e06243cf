import type { Attributes } from '../core/observation';

/**
 * An OTLP AnyValue decoded from either wire format into one neutral shape, so protobuf and
 * JSON stringify attributes identically: int64 as bigint (exact), bytes as Uint8Array,
 * ArrayValue as an array, KeyValueList as KvList, an AnyValue with no value set as null.
 */
export type AnyPlain = string | boolean | number | bigint | Uint8Array | AnyPlain[] | KvList | null;

/** A KeyValueList; entries keep their order and duplicates, as on the wire. */
export class KvList {
  constructor(readonly entries: Array<[string, AnyPlain]>) {}
}

/** Deepest ArrayValue / KeyValueList nesting accepted: bounds recursion on hostile input. */
export const MAX_ANY_DEPTH = 32;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function inInt64Range(v: bigint): boolean {
  return v >= INT64_MIN && v <= INT64_MAX;
}

/**
 * The attribute text of a value: strings as is, bool/int/double as their text (double as JS
 * prints it: `1.5`, `NaN`, `Infinity`), bytes as base64, arrays and kvlists as JSON, no value ''.
 */
export function anyToString(v: AnyPlain): string {
  switch (typeof v) {
    case 'string':
      return v;
    case 'boolean':
    case 'number':
    case 'bigint':
      return String(v);
    default:
      if (v === null) return '';
      if (v instanceof Uint8Array) return base64(v);
      return anyToJson(v);
  }
}

/**
 * JSON text of a nested value: ints as exact JSON numbers, non-finite doubles as the strings
 * "NaN" / "Infinity" / "-Infinity" (JSON has no such numbers), bytes as a base64 string,
 * kvlists as objects with their entries in wire order, no value as null.
 */
export function anyToJson(v: AnyPlain): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : `"${String(v)}"`;
    default:
      if (v === null) return 'null';
      if (v instanceof Uint8Array) return `"${base64(v)}"`;
      if (Array.isArray(v)) return `[${v.map(anyToJson).join(',')}]`;
      return `{${v.entries.map(([k, x]) => `${JSON.stringify(k)}:${anyToJson(x)}`).join(',')}}`;
  }
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Sets an attribute; `__proto__` as an own key too (plain assignment would hit the setter). */
export function setAttribute(out: Attributes, key: string, value: string): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[key] = value;
  }
}
