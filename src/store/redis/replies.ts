import type { DeliveryState } from '../store';

/** Checked views of raw Redis replies (script results are `unknown` until looked at). */

export function asArray(reply: unknown, what: string): unknown[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected redis reply for ${what}: ${typeof reply}`);
  return reply;
}

export function asString(reply: unknown, what: string): string {
  if (typeof reply === 'string') return reply;
  if (typeof reply === 'number') return String(reply);
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  throw new Error(`unexpected redis reply for ${what}: ${typeof reply}`);
}

export function asNumber(reply: unknown, what: string): number {
  const n = typeof reply === 'number' ? reply : Number(asString(reply, what));
  if (!Number.isFinite(n)) throw new Error(`unexpected redis reply for ${what}: ${String(reply)}`);
  return n;
}

/** '' (stored for "none") to null, else the number. */
export function optionalMs(text: string): number | null {
  return text === '' ? null : Number(text);
}

export interface DeliveryRecord {
  state: DeliveryState;
  attempts: number;
  lastError: string | null;
}

/** A value of `{ew:N}:deliveries`: `<state>|<attempts>[|<last error>]` (the error may hold '|'). */
export function parseDelivery(text: string): DeliveryRecord | null {
  const m = /^(pending|delivered|failed)\|(\d+)(?:\|([\s\S]*))?$/.exec(text);
  if (!m) return null;
  return { state: m[1] as DeliveryState, attempts: Number(m[2]), lastError: m[3] ?? null };
}

/** Field/value pairs of a stream entry as a map. */
export function entryFields(flat: unknown): Map<string, string> {
  const list = asArray(flat, 'stream entry');
  const out = new Map<string, string>();
  for (let i = 0; i + 1 < list.length; i += 2) out.set(asString(list[i], 'field'), asString(list[i + 1], 'value'));
  return out;
}

/** Compares stream entry ids (`<ms>-<seq>`) numerically. */
export function compareEntryIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am - bm || as - bs;
}
