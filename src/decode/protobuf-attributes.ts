import { DecodeError } from '../core/errors';
import type { Attributes } from '../core/observation';
import { type AnyPlain, KvList, MAX_ANY_DEPTH, anyToString, setAttribute } from './any-value';
import { WT_FIXED64, WT_LEN, WT_VARINT, type WireReader } from './wire-reader';

/** Byte ranges of one KeyValue's key and value payloads; reused, so reading one allocates nothing. */
export interface KvRange {
  keyStart: number;
  keyEnd: number;
  /** An absent value is the empty range (an AnyValue with no value set). */
  valueStart: number;
  valueEnd: number;
}

export const newKvRange = (): KvRange => ({ keyStart: 0, keyEnd: 0, valueStart: 0, valueEnd: 0 });

/** Reads the KeyValue message ending at `end` into `kv` (fields in any order; last one wins). */
export function readKeyValue(r: WireReader, end: number, kv: KvRange): void {
  // Fast path for what every encoder writes: key (tag 0x0a) then value (tag 0x12), short lengths.
  const buf = r.buf;
  const p = r.pos;
  if (buf[p] === 0x0a && buf[p + 1] < 0x80) {
    const keyEnd = p + 2 + buf[p + 1];
    if (keyEnd + 2 <= end && buf[keyEnd] === 0x12 && buf[keyEnd + 1] < 0x80 && keyEnd + 2 + buf[keyEnd + 1] === end) {
      kv.keyStart = p + 2;
      kv.keyEnd = keyEnd;
      kv.valueStart = keyEnd + 2;
      kv.valueEnd = end;
      r.pos = end;
      return;
    }
  }
  kv.keyStart = kv.keyEnd = kv.valueStart = kv.valueEnd = 0;
  while (r.pos < end) {
    const tag = r.tag(end);
    const field = tag >>> 3;
    if (field === 1 || field === 2) {
      r.expect(tag, WT_LEN, 'KeyValue');
      const e = r.delimited(end);
      if (field === 1) {
        kv.keyStart = r.pos;
        kv.keyEnd = e;
      } else {
        kv.valueStart = r.pos;
        kv.valueEnd = e;
      }
      r.pos = e;
    } else {
      r.skip(tag & 7, end);
    }
  }
}

/** Decodes the AnyValue payload in [start, end); leaves pos at end. The last oneof member wins. */
export function readAnyValue(r: WireReader, start: number, end: number, depth: number): AnyPlain {
  if (depth > MAX_ANY_DEPTH) throw new DecodeError(`malformed protobuf: AnyValue nested deeper than ${MAX_ANY_DEPTH} at byte ${start}`);
  r.pos = start;
  let v: AnyPlain = null;
  while (r.pos < end) {
    const tag = r.tag(end);
    const field = tag >>> 3;
    if (field === 2 || field === 3) {
      r.expect(tag, WT_VARINT, 'AnyValue');
      r.varint64(end);
      v = field === 2 ? (r.lo | r.hi) !== 0 : BigInt.asIntN(64, (BigInt(r.hi) << 32n) | BigInt(r.lo));
    } else if (field === 4) {
      r.expect(tag, WT_FIXED64, 'AnyValue');
      v = r.double(end);
    } else if (field === 1 || (field >= 5 && field <= 7)) {
      r.expect(tag, WT_LEN, 'AnyValue');
      const e = r.delimited(end);
      const s = r.pos;
      if (field === 1) v = r.utf8(s, e);
      else if (field === 7) v = r.buf.subarray(s, e);
      else if (field === 5) v = readArrayValue(r, s, e, depth + 1);
      else v = readKvList(r, s, e, depth + 1);
      r.pos = e;
    } else {
      r.skip(tag & 7, end);
    }
  }
  return v;
}

function readArrayValue(r: WireReader, start: number, end: number, depth: number): AnyPlain[] {
  const values: AnyPlain[] = [];
  r.pos = start;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag >>> 3 === 1) {
      r.expect(tag, WT_LEN, 'ArrayValue');
      const e = r.delimited(end);
      values.push(readAnyValue(r, r.pos, e, depth));
    } else {
      r.skip(tag & 7, end);
    }
  }
  return values;
}

function readKvList(r: WireReader, start: number, end: number, depth: number): KvList {
  const entries: Array<[string, AnyPlain]> = [];
  const kv = newKvRange();
  r.pos = start;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag >>> 3 === 1) {
      r.expect(tag, WT_LEN, 'KeyValueList');
      const e = r.delimited(end);
      readKeyValue(r, e, kv);
      entries.push([r.utf8(kv.keyStart, kv.keyEnd), readAnyValue(r, kv.valueStart, kv.valueEnd, depth)]);
      r.pos = e;
    } else {
      r.skip(tag & 7, end);
    }
  }
  return new KvList(entries);
}

/**
 * The attribute text of the AnyValue in [start, end). Fast path for the common case, a lone
 * string_value: tag 0x0a and a one-byte length spanning the rest of the value.
 */
export function readAttributeText(r: WireReader, start: number, end: number): string {
  const buf = r.buf;
  const len = end - start - 2;
  if (len >= 0 && len < 0x80 && buf[start] === 0x0a && buf[start + 1] === len) return r.utf8(start + 2, end);
  const v = anyToString(readAnyValue(r, start, end, 0));
  r.pos = end;
  return v;
}

/**
 * Collects the attributes (field `field` of the message in [start, end)) into `out`, later keys
 * overwriting earlier ones. The walker has already checked the framing of these messages; a
 * value whose own payload is malformed is left out rather than thrown at a late caller.
 */
export function collectAttributes(r: WireReader, start: number, end: number, field: number, out: Attributes): void {
  const kv = newKvRange();
  r.pos = start;
  while (r.pos < end) {
    const tag = r.tag(end);
    if (tag >>> 3 !== field || (tag & 7) !== WT_LEN) {
      r.skip(tag & 7, end);
      continue;
    }
    const e = r.delimited(end);
    readKeyValue(r, e, kv);
    try {
      setAttribute(out, r.utf8(kv.keyStart, kv.keyEnd), readAttributeText(r, kv.valueStart, kv.valueEnd));
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
    }
    r.pos = e;
  }
}
