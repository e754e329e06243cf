/**
 * Encodes a plain object (protobufjs field names, 64-bit ints as decimal strings, bytes as
 * Uint8Array) by reflection over the protobufjs types of proto/, but writes each message's
 * fields in a random order and inserts random unknown fields of every wire type (except
 * groups): bytes a real peer may send that protobufjs's own encoder never produces.
 */
import * as protobuf from 'protobufjs';

/** Deterministic PRNG (mulberry32) so fast-check can replay a failing case from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
type Plain = Record<string, unknown>;

function shuffle<T>(xs: T[], rand: Rand): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

function scalar(w: protobuf.Writer, type: string, value: unknown): void {
  // Writer has one method per scalar type name (double, fixed64, string, …).
  (w as unknown as Record<string, (v: unknown) => protobuf.Writer>)[type](value);
}

function encodeField(field: protobuf.Field, value: unknown, rand: Rand): Uint8Array {
  const w = protobuf.Writer.create();
  const t = field.resolvedType;
  if (t instanceof protobuf.Type) {
    w.uint32((field.id << 3) | 2).bytes(shuffleEncode(t, value as Plain, rand));
  } else if (t instanceof protobuf.Enum) {
    w.uint32((field.id << 3) | 0).int32(value as number);
  } else {
    const wireType = (protobuf.types.basic as Record<string, number>)[field.type];
    w.uint32((field.id << 3) | wireType);
    scalar(w, field.type, value);
  }
  return w.finish();
}

const tagOf = (id: number, wireType: number): number => ((id << 3) | wireType) >>> 0;

/** A field the type does not declare, numbered 15..2^29-1 (lower numbers stay unambiguous). */
function unknownField(type: protobuf.Type, rand: Rand): Uint8Array {
  let id = 15 + Math.floor(rand() * 40);
  if (rand() < 0.2) id = 536870911 - Math.floor(rand() * 10);
  while (type.fieldsById[id] !== undefined) id++;
  const w = protobuf.Writer.create();
  switch (Math.floor(rand() * 4)) {
    case 0:
      return w.uint32(tagOf(id, 0)).uint64(String(Math.floor(rand() * 2 ** 53))).finish();
    case 1:
      return w.uint32(tagOf(id, 1)).fixed64(String(Math.floor(rand() * 2 ** 53))).finish();
    case 2:
      return w.uint32(tagOf(id, 5)).fixed32(Math.floor(rand() * 2 ** 32)).finish();
    default: {
      const bytes = Uint8Array.from({ length: Math.floor(rand() * 6) }, () => Math.floor(rand() * 256));
      return w.uint32(tagOf(id, 2)).bytes(bytes).finish();
    }
  }
}

export function shuffleEncode(type: protobuf.Type, obj: Plain, rand: Rand): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (const field of type.fieldsArray) {
    const v = obj[field.name];
    if (v === undefined || v === null) continue;
    for (const x of field.repeated ? (v as unknown[]) : [v]) chunks.push(encodeField(field, x, rand));
  }
  while (rand() < 0.25) chunks.push(unknownField(type, rand));
  return Buffer.concat(shuffle(chunks, rand));
}
