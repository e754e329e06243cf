import fc from 'fast-check';
import { DecodeError } from '../../../src/core/errors';
import { WT_FIXED32, WT_FIXED64, WT_LEN, WT_VARINT, WireReader } from '../../../src/decode/wire-reader';
import { varint } from './wire';

const reader = (bytes: number[] | Buffer) => new WireReader(Buffer.from(bytes));

describe('WireReader', () => {
  test('varint64 reads any 64-bit value into lo / hi', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (v) => {
        const bytes = varint(v);
        const r = reader(bytes);
        r.varint64(bytes.length);
        expect((BigInt(r.hi) << 32n) | BigInt(r.lo)).toBe(v);
        expect(r.pos).toBe(bytes.length);
      }),
    );
  });

  test('uint32 keeps the low 32 bits of a longer varint (how protobuf reads uint32 / int32)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (v) => {
        const bytes = varint(v);
        expect(reader(bytes).uint32(bytes.length)).toBe(Number(v & 0xffffffffn));
      }),
    );
  });

  test('fixed64 and double are little-endian', () => {
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(0x0123456789abcdefn, 0);
    b.writeDoubleLE(-2.5, 8);
    const r = new WireReader(b);
    r.fixed64(16);
    expect([r.hi, r.lo]).toEqual([0x01234567, 0x89abcdef]);
    expect(r.double(16)).toBe(-2.5);
  });

  test('delimited accepts a non-minimal length and returns the payload end', () => {
    const r = reader([0x83, 0x00, 1, 2, 3]);
    expect(r.delimited(5)).toBe(5);
    expect(r.pos).toBe(2);
  });

  test('reads never pass the given end, even when the buffer goes on', () => {
    const r = reader([0x80, 0x01, 0x00]);
    expect(() => r.uint32(1)).toThrow(/truncated varint/);
    expect(() => reader([0x02, 9, 9]).delimited(2)).toThrow(/runs past/);
    expect(() => reader([1, 2, 3, 4, 5, 6, 7, 8]).fixed64(7)).toThrow(/truncated fixed64/);
  });

  test('skip moves over each wire type and rejects groups and invalid types', () => {
    const r = reader([0xff, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x02, 9, 9, 1, 2, 3, 4]);
    r.skip(WT_VARINT, 17);
    r.skip(WT_FIXED64, 17);
    r.skip(WT_LEN, 17);
    r.skip(WT_FIXED32, 17);
    expect(r.pos).toBe(17);
    for (const wt of [3, 4, 6, 7]) expect(() => reader([0]).skip(wt, 1)).toThrow(DecodeError);
    expect(() => reader([1, 2, 3]).skip(WT_FIXED32, 3)).toThrow(/truncated fixed32/);
    expect(() => reader(Array<number>(11).fill(0xff)).skip(WT_VARINT, 11)).toThrow(/longer than 10/);
  });

  test('bytesEqual compares a range without allocating', () => {
    const r = new WireReader(Buffer.from('xxtcp.packetsyy'));
    expect(r.bytesEqual(2, 13, Buffer.from('tcp.packets'))).toBe(true);
    expect(r.bytesEqual(2, 12, Buffer.from('tcp.packets'))).toBe(false);
    expect(r.bytesEqual(2, 13, Buffer.from('tcp.packetz'))).toBe(false);
  });
});
