import { DecodeError } from '../core/errors';

/** Protobuf wire types (groups, 3 and 4, are deprecated and rejected as malformed). */
export const WT_VARINT = 0;
export const WT_FIXED64 = 1;
export const WT_LEN = 2;
export const WT_FIXED32 = 5;

/**
 * Buffer's own UTF-8 slicer (undocumented but in every Node release): toString() reaches it
 * through an encoding switch that costs ~25% per short string. Invalid UTF-8 becomes U+FFFD.
 */
type Utf8Sliceable = Buffer & { utf8Slice(start: number, end: number): string };
const HAS_UTF8_SLICE = typeof (Buffer.prototype as Partial<Utf8Sliceable>).utf8Slice === 'function';

const WT_NAMES = ['varint', 'fixed64', 'length-delimited', 'start-group', 'end-group', 'fixed32', 'invalid (6)', 'invalid (7)'];

/**
 * A cursor over protobuf wire-format bytes. One reader walks a whole request; nested messages
 * are walked by passing their end offset (`end`) to every read, so no reader or sub-buffer is
 * allocated per message. Every read checks bounds against `end` and throws DecodeError, so a
 * malformed or truncated message can never make a walker read past its message or loop.
 */
export class WireReader {
  readonly buf: Buffer;
  pos = 0;
  /** Low / high 32 bits of the last varint64() or fixed64() (unsigned). */
  lo = 0;
  hi = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  /** Reads a field tag (field number << 3 | wire type); rejects field 0 and tags over 32 bits. */
  tag(end: number): number {
    const at = this.pos;
    const t = this.uint32(end);
    if (t >>> 3 === 0) throw this.error('field number 0', at);
    if (this.pos - at > 4) this.check32(at, 'tag');
    return t;
  }

  /** Reads a varint and returns its low 32 bits, unsigned (how protobuf reads uint32). */
  uint32(end: number): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos < end) {
      const b = buf[pos];
      if (b < 0x80) {
        this.pos = pos + 1;
        return b;
      }
    }
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= end) throw this.error('truncated varint', pos);
      const b = buf[pos++];
      if (shift < 32) value |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return value >>> 0;
      }
    }
    throw this.error('varint longer than 10 bytes', this.pos);
  }

  /** Reads a varint of up to 64 bits into lo / hi. */
  varint64(end: number): void {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw this.error('truncated varint', pos);
      const b = buf[pos++];
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else hi |= bits << (7 * i - 32);
      if (b < 0x80) {
        this.pos = pos;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw this.error('varint longer than 10 bytes', this.pos);
  }

  /** Reads 8 little-endian bytes into lo / hi. */
  fixed64(end: number): void {
    const pos = this.pos;
    if (end - pos < 8) throw this.error('truncated fixed64', pos);
    const buf = this.buf;
    this.lo = (buf[pos] | (buf[pos + 1] << 8) | (buf[pos + 2] << 16) | (buf[pos + 3] << 24)) >>> 0;
    this.hi = (buf[pos + 4] | (buf[pos + 5] << 8) | (buf[pos + 6] << 16) | (buf[pos + 7] << 24)) >>> 0;
    this.pos = pos + 8;
  }

  double(end: number): number {
    if (end - this.pos < 8) throw this.error('truncated double', this.pos);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /**
   * Reads a length prefix and returns the end offset of the payload, leaving pos at its start.
   * A length that does not fit in the enclosing message is malformed (it could never be valid).
   */
  delimited(end: number): number {
    const at = this.pos;
    const len = this.uint32(end);
    if (this.pos - at > 4) this.check32(at, 'length');
    if (len > end - this.pos) {
      throw this.error(`length ${len} runs past the end of the enclosing message (${end - this.pos} bytes left)`, at);
    }
    return this.pos + len;
  }

  /** Rejects a varint at `at` (just read) whose value needs more than 32 bits: uint32() would alias it. */
  private check32(at: number, what: string): void {
    if (this.pos - at > 5 || this.buf[this.pos - 1] > 0x0f) throw this.error(`${what} exceeds 32 bits`, at);
  }

  /** Skips the value of a field of the given wire type. */
  skip(wireType: number, end: number): void {
    switch (wireType) {
      case WT_VARINT: {
        const buf = this.buf;
        let pos = this.pos;
        const stop = Math.min(end, pos + 10);
        while (pos < stop && buf[pos] >= 0x80) pos++;
        if (pos >= stop) throw this.error(pos >= end ? 'truncated varint' : 'varint longer than 10 bytes', this.pos);
        this.pos = pos + 1;
        return;
      }
      case WT_FIXED64:
        if (end - this.pos < 8) throw this.error('truncated fixed64', this.pos);
        this.pos += 8;
        return;
      case WT_LEN:
        this.pos = this.delimited(end);
        return;
      case WT_FIXED32:
        if (end - this.pos < 4) throw this.error('truncated fixed32', this.pos);
        this.pos += 4;
        return;
      default:
        throw this.error(`unsupported wire type ${WT_NAMES[wireType]}`, this.pos);
    }
  }

  /** Throws unless a known field arrived with the wire type its schema gives it. */
  expect(tag: number, wireType: number, message: string): void {
    if ((tag & 7) !== wireType) {
      throw this.error(`field ${tag >>> 3} of ${message} has wire type ${WT_NAMES[tag & 7]}, expected ${WT_NAMES[wireType]}`, this.pos);
    }
  }

  /** True when the bytes in [start, end) equal `expected` (compared without allocating). */
  bytesEqual(start: number, end: number, expected: Uint8Array): boolean {
    const n = expected.length;
    if (end - start !== n) return false;
    const buf = this.buf;
    for (let i = 0; i < n; i++) if (buf[start + i] !== expected[i]) return false;
    return true;
  }

  utf8(start: number, end: number): string {
    return HAS_UTF8_SLICE ? (this.buf as Utf8Sliceable).utf8Slice(start, end) : this.buf.toString('utf8', start, end);
  }

  error(what: string, at: number): DecodeError {
    return new DecodeError(`malformed protobuf: ${what} at byte ${at}`);
  }
}
