/**
 * Reducer-shaped requests over a baseline of any size: one request template per buffer (built
 * with the OpenTelemetry serializer, as in reducer-requests.ts), whose workload names are
 * fixed-width placeholders rewritten in place on every send, so a million edges need no million
 * requests in memory. Each request carries 83 workload pairs × TCP and UDP = 166 edges, the
 * pairs taken in turn: every edge comes back once per E / 166 requests, a working set as wide as
 * the baseline (the hardest case for a cache).
 */
import type { Edge } from './reducer-requests';
import { buildRequest, StampedRequest } from './reducer-requests';

/** Pairs per request: 83 × 12 metric names = 996 Metric messages, 166 of them watched. */
export const PAIRS_PER_REQUEST = 83;
const DIGITS = 9;

/** Workload names of pair `p` (fixed width: they replace the template's bytes in place). */
export function pairNames(p: number): Edge {
  const n = String(p).padStart(DIGITS, '0');
  return { src: `app-${n}`, dst: `svc-${n}` };
}

const placeholder = (side: 'app' | 'svc', slot: number): string => `${side}-Q${String(slot).padStart(DIGITS - 1, '0')}`;

interface Slot {
  src: number[];
  dst: number[];
}

/** One buffer: its time stamping, and where each pair slot's names sit in the bytes. */
class Template {
  readonly stamped: StampedRequest;
  private readonly slots: Slot[];

  constructor(cluster: string, timeMs: number) {
    const edges = Array.from({ length: PAIRS_PER_REQUEST }, (_, j) => ({ src: placeholder('app', j), dst: placeholder('svc', j) }));
    const req = buildRequest(cluster, edges, timeMs, PAIRS_PER_REQUEST * 12);
    this.stamped = new StampedRequest(req, timeMs);
    const find = (text: string): number[] => {
      const needle = Buffer.from(text);
      const at: number[] = [];
      for (let i = req.bytes.indexOf(needle); i >= 0; i = req.bytes.indexOf(needle, i + 1)) at.push(i);
      if (at.length === 0) throw new Error(`placeholder ${text} not found`);
      return at;
    };
    this.slots = edges.map((e) => ({ src: find(e.src), dst: find(e.dst) }));
  }

  /** Rewrite the pairs first, first + 1, … (mod pairs) into the slots, and the times to `ms`. */
  fill(first: number, pairs: number, ms: number): Buffer {
    const bytes = this.stamped.bytes;
    this.slots.forEach((s, j) => {
      const e = pairNames((first + j) % pairs);
      for (const o of s.src) bytes.write(e.src, o, 'latin1');
      for (const o of s.dst) bytes.write(e.dst, o, 'latin1');
    });
    return this.stamped.stamp(ms);
  }
}

/** Requests over `pairs` workload pairs (2 × pairs edges), in turn, each stamped with the send time. */
export class ScaleWorkload {
  readonly points: number;
  readonly watched: number;
  private readonly templates: Template[];
  private next = 0;
  private sent = 0;

  /** `buffers`: distinct buffers cycled, so one is rewritten only long after its last send. */
  constructor(
    readonly pairs: number,
    timeMs: number,
    buffers = 32,
    cluster = 'bench-cluster',
  ) {
    this.templates = Array.from({ length: buffers }, () => new Template(cluster, timeMs));
    this.points = this.templates[0].stamped.points;
    this.watched = this.templates[0].stamped.watched;
  }

  /** The next request's bytes, at time `ms`. */
  take(ms: number): Buffer {
    const t = this.templates[this.sent++ % this.templates.length];
    const first = this.next;
    this.next = (this.next + PAIRS_PER_REQUEST) % this.pairs;
    return t.fill(first, this.pairs, ms);
  }
}
