import { DecodeError } from '../core/errors';
import type { Attributes } from '../core/observation';
import { type AnyPlain, KvList, MAX_ANY_DEPTH, anyToString, inInt64Range, setAttribute } from './any-value';

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

/**
 * A field by its lowerCamelCase name, else its proto (snake_case) name, as proto3 JSON parsers
 * accept both; null means "not set" in proto3 JSON.
 */
export function field(o: JsonObject, camel: string, snake: string): unknown {
  const v = o[camel];
  return v !== undefined && v !== null ? v : (o[snake] ?? undefined);
}

export function asObject(v: unknown, what: string): JsonObject | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new DecodeError(`invalid OTLP/JSON: ${what} must be an object, got ${typeName(v)}`);
  return v as JsonObject;
}

export function asArray(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DecodeError(`invalid OTLP/JSON: ${what} must be an array, got ${typeName(v)}`);
  return v;
}

export function asString(v: unknown, what: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new DecodeError(`invalid OTLP/JSON: ${what} must be a string, got ${typeName(v)}`);
  return v;
}

/** An integer given as a JSON number or a decimal string (how proto3 JSON writes 64-bit ints). */
export function integer(v: unknown, what: string): bigint {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d{1,25}$/.test(v)) return BigInt(v);
  throw new DecodeError(`invalid OTLP/JSON: ${what} must be an integer (number or decimal string), got ${JSON.stringify(v) ?? typeName(v)}`);
}

/** A fixed64 nanosecond time as ms (floor), 0 when absent. */
export function timeMs(v: unknown, what: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) {
    if (v.length === 20 && v > '18446744073709551615') throw new DecodeError(`invalid OTLP/JSON: ${what} ${v} exceeds 64 bits`);
    return v.length > 6 ? Number(v.slice(0, -6)) : 0; // exact: drop the sub-millisecond digits
  }
  const n = integer(v, what);
  if (n < 0n || n >= 2n ** 64n) throw new DecodeError(`invalid OTLP/JSON: ${what} ${n} is not a uint64`);
  return Number(n / 1_000_000n);
}

export function uint32(v: unknown, what: string): number {
  if (v === undefined || v === null) return 0;
  const n = integer(v, what);
  if (n < 0n || n > 0xffffffffn) throw new DecodeError(`invalid OTLP/JSON: ${what} ${n} is not a uint32`);
  return Number(n);
}

/** Decodes a JSON AnyValue (`{stringValue: …}` etc.) into the neutral shape; throws DecodeError on a bad shape. */
export function jsonAnyValue(v: unknown, depth: number): AnyPlain {
  if (depth > MAX_ANY_DEPTH) throw new DecodeError(`invalid OTLP/JSON: AnyValue nested deeper than ${MAX_ANY_DEPTH}`);
  const o = asObject(v, 'AnyValue');
  if (o === undefined) return null;
  let x = field(o, 'stringValue', 'string_value');
  if (x !== undefined) return asString(x, 'stringValue');
  x = field(o, 'boolValue', 'bool_value');
  if (x !== undefined) {
    if (typeof x !== 'boolean') throw new DecodeError(`invalid OTLP/JSON: boolValue must be a boolean, got ${typeName(x)}`);
    return x;
  }
  x = field(o, 'intValue', 'int_value');
  if (x !== undefined) {
    const n = integer(x, 'intValue');
    if (!inInt64Range(n)) throw new DecodeError(`invalid OTLP/JSON: intValue ${n} is not an int64`);
    return n;
  }
  x = field(o, 'doubleValue', 'double_value');
  if (x !== undefined) return double(x);
  x = field(o, 'arrayValue', 'array_value');
  if (x !== undefined) {
    const values = asArray(asObject(x, 'arrayValue')?.values, 'arrayValue.values');
    return values.map((e) => jsonAnyValue(e, depth + 1));
  }
  x = field(o, 'kvlistValue', 'kvlist_value');
  if (x !== undefined) {
    const values = asArray(asObject(x, 'kvlistValue')?.values, 'kvlistValue.values');
    return new KvList(values.map((e) => keyValue(e, depth + 1)));
  }
  x = field(o, 'bytesValue', 'bytes_value');
  if (x !== undefined) return Buffer.from(asString(x, 'bytesValue'), 'base64'); // accepts the URL-safe alphabet too
  return null;
}

function keyValue(v: unknown, depth: number): [string, AnyPlain] {
  const kv = asObject(v, 'KeyValue') ?? {};
  return [asString(kv.key, 'KeyValue.key'), jsonAnyValue(kv.value, depth)];
}

/** proto3 JSON doubles: numbers, or the strings "NaN", "Infinity", "-Infinity" or a numeric string. */
export function double(v: unknown, what = 'doubleValue'): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
    const n = Number(v);
    if (v.trim() !== '' && !Number.isNaN(n)) return n;
  }
  throw new DecodeError(`invalid OTLP/JSON: ${what} must be a number, got ${JSON.stringify(v) ?? typeName(v)}`);
}

/** Adds a list of JSON KeyValues to `out` (later keys win); entries that do not decode are left out. */
export function collectJsonAttributes(list: unknown[], out: Attributes): void {
  for (const e of list) {
    try {
      const [key, value] = keyValue(e, 0);
      setAttribute(out, key, anyToString(value));
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
    }
  }
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}
