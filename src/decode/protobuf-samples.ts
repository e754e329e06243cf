import type { TrafficSample } from '../core/traffic';
import { FLAG_NO_RECORDED_VALUE, nanosToMs } from './decode-result';
import { readAttributeText } from './protobuf-attributes';
import { KEY_COUNT, K_CLUSTER, K_DEST, K_DEST_NS, K_DEST_PROC, K_SOURCE, K_SOURCE_NS, K_SOURCE_PROC } from './watch-spec';
import type { AttributeRun } from './protobuf-attribute-run';
import { WT_FIXED64, WT_LEN, WT_VARINT, type WireReader } from './wire-reader';

/** 2³², to assemble a 64-bit integer from its 32-bit halves. */
const TWO_32 = 4294967296;

/**
 * Reads the NumberDataPoint ending at `end` like the observation path does (same wire checks),
 * and also its value oneof: as_double (4) or as_int (6), the last one on the wire winning.
 * Attributes go to `attrs` (which records the ranges of the keys in use, or reuses the
 * previous point's when the bytes repeat).
 */
export class ValuedPoint {
  timeMs = 0;
  flags = 0;
  hasValue = false;
  value = 0;

  read(r: WireReader, end: number, attrs: AttributeRun): void {
    let timeLo = 0;
    let timeHi = 0;
    this.flags = 0;
    this.hasValue = false;
    this.value = 0;
    attrs.beginPoint();
    while (r.pos < end) {
      const at = r.pos;
      const tag = r.tag(end);
      switch (tag >>> 3) {
        case 7:
          r.expect(tag, WT_LEN, 'NumberDataPoint');
          attrs.attribute(at, end);
          break;
        case 3:
          r.expect(tag, WT_FIXED64, 'NumberDataPoint');
          r.fixed64(end);
          timeLo = r.lo;
          timeHi = r.hi;
          break;
        case 8:
          r.expect(tag, WT_VARINT, 'NumberDataPoint');
          this.flags = r.uint32(end);
          break;
        case 4:
          r.expect(tag, WT_FIXED64, 'NumberDataPoint');
          this.value = r.double(end);
          this.hasValue = true;
          break;
        case 6:
          r.expect(tag, WT_FIXED64, 'NumberDataPoint');
          r.fixed64(end);
          // sfixed64: hi·2³² is exact, so the sum rounds once, like Number(BigInt.asIntN(64, …)).
          this.value = (r.hi >= 0x80000000 ? r.hi - TWO_32 : r.hi) * TWO_32 + r.lo;
          this.hasValue = true;
          break;
        case 2:
          r.expect(tag, WT_FIXED64, 'NumberDataPoint');
          r.skip(WT_FIXED64, end);
          break;
        case 5:
          r.expect(tag, WT_LEN, 'NumberDataPoint');
          r.skip(WT_LEN, end);
          break;
        default:
          r.skip(tag & 7, end);
      }
    }
    attrs.endPoint();
    this.timeMs = nanosToMs(timeLo, timeHi);
    r.pos = end;
  }
}

/**
 * Builds TrafficSamples from the attribute value ranges the walker recorded for the current
 * point. The reducer repeats one edge's attributes across a dozen consecutive Metrics, so each
 * key's last text is kept with its bytes and reused when the next point's bytes are the same:
 * most samples decode no string at all.
 */
export class ProtobufSamples {
  readonly samples: TrafficSample[] = [];
  private readonly cacheStart = new Array<number>(KEY_COUNT).fill(0);
  private readonly cacheEnd = new Array<number>(KEY_COUNT).fill(0);
  private readonly cacheText = new Array<string>(KEY_COUNT).fill('');

  constructor(
    private readonly r: WireReader,
    private readonly valueStart: readonly number[],
    private readonly valueEnd: readonly number[],
  ) {}

  /** Adds the sample of a point of `metric`, unless it has no value or lacks a source or dest. */
  add(metric: string, p: ValuedPoint, resourceCluster: string): void {
    if ((p.flags & FLAG_NO_RECORDED_VALUE) !== 0 || !p.hasValue) return;
    const source = this.text(K_SOURCE, '');
    if (source === '') return;
    const dest = this.text(K_DEST, '');
    if (dest === '') return;
    this.samples.push({
      cluster: this.text(K_CLUSTER, resourceCluster),
      metric,
      value: p.value,
      timeMs: p.timeMs,
      source,
      dest,
      sourceNamespace: this.text(K_SOURCE_NS, ''),
      destNamespace: this.text(K_DEST_NS, ''),
      sourceProcess: this.text(K_SOURCE_PROC, ''),
      destProcess: this.text(K_DEST_PROC, ''),
    });
  }

  private text(key: number, absent: string): string {
    const start = this.valueStart[key];
    if (start < 0) return absent;
    const end = this.valueEnd[key];
    const cs = this.cacheStart[key];
    // A reused attribute block (AttributeRun) points at the very bytes the cache was read from.
    if (start === cs && end === this.cacheEnd[key]) return this.cacheText[key];
    const n = end - start;
    if (n === this.cacheEnd[key] - cs) {
      const buf = this.r.buf;
      let i = 0;
      while (i < n && buf[start + i] === buf[cs + i]) i++;
      if (i === n) return this.cacheText[key];
    }
    const r = this.r;
    const saved = r.pos;
    const text = readAttributeText(r, start, end);
    r.pos = saved;
    this.cacheStart[key] = start;
    this.cacheEnd[key] = end;
    this.cacheText[key] = text;
    return text;
  }
}
