import type { DecodeResult, Protocol } from '../core/observation';
import { FLAG_NO_RECORDED_VALUE, drop, nanosToMs, newDecodeResult } from './decode-result';
import { type KvRange, newKvRange, readAttributeText, readKeyValue } from './protobuf-attributes';
import { AttributeRun } from './protobuf-attribute-run';
import { ProtobufObservation, type ResourceRef } from './protobuf-observation';
import { ProtobufSamples, ValuedPoint } from './protobuf-samples';
import { KEY_COUNT, K_CLUSTER, K_DEST, K_DEST_NS, K_SOURCE, K_SOURCE_NS, type WatchSpec } from './watch-spec';
import { WT_FIXED64, WT_LEN, WT_VARINT, WireReader } from './wire-reader';

/** The traffic-metric part of the walker, present only when samples are on. */
interface TrafficPath {
  samples: ProtobufSamples;
  point: ValuedPoint;
  /** The walker's keyValue, bound once. */
  attrs: AttributeRun;
}

/**
 * Walks an ExportMetricsServiceRequest in one pass over the bytes, allocating only for the
 * observations (and samples) it yields. Metrics whose name is neither watched nor a traffic
 * metric are skipped by their length without looking at their points; fields may arrive in
 * any order (a Metric's data is decoded after the whole Metric is read, so the name may follow it).
 */
class ProtobufWalker {
  private readonly r: WireReader;
  private readonly spec: WatchSpec;
  private readonly result: DecodeResult = newDecodeResult();
  private readonly kv: KvRange = newKvRange();
  /** Value ranges of the KEY_COUNT attributes in use in the current message; start -1 = absent. */
  private readonly valueStart: number[] = new Array<number>(KEY_COUNT).fill(-1);
  private readonly valueEnd: number[] = new Array<number>(KEY_COUNT).fill(0);
  /** Keys in use: 5, or 7 with the process keys when samples are on. */
  private readonly keyCount: number;
  /** Only when traffic metrics are on. */
  private readonly traffic: TrafficPath | undefined;
  private resource: ResourceRef;
  private resourceCluster = '';

  constructor(buf: Buffer, spec: WatchSpec) {
    this.r = new WireReader(buf);
    this.spec = spec;
    this.keyCount = spec.keys.length;
    this.resource = { buf, start: 0, end: 0 };
    if (spec.trafficNames.length > 0) {
      const samples = new ProtobufSamples(this.r, this.valueStart, this.valueEnd);
      this.traffic = { samples, point: new ValuedPoint(), attrs: new AttributeRun(this.r, this.valueStart, this.valueEnd, this.keyCount, (end) => this.keyValue(end)) };
      this.result.samples = samples.samples;
    }
  }

  request(): DecodeResult {
    const r = this.r;
    const end = r.buf.length;
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag >>> 3 === 1) {
        r.expect(tag, WT_LEN, 'ExportMetricsServiceRequest');
        this.resourceMetrics(r.delimited(end));
      } else {
        r.skip(tag & 7, end);
      }
    }
    return this.result;
  }

  private resourceMetrics(end: number): void {
    const r = this.r;
    const start = r.pos;
    // Pass 1: find the resource (it may follow its scope metrics) and check the framing.
    let resStart = 0;
    let resEnd = 0;
    while (r.pos < end) {
      const tag = r.tag(end);
      const field = tag >>> 3;
      if (field >= 1 && field <= 3) {
        r.expect(tag, WT_LEN, 'ResourceMetrics');
        const e = r.delimited(end);
        if (field === 1) {
          resStart = r.pos;
          resEnd = e;
        }
        r.pos = e;
      } else {
        r.skip(tag & 7, end);
      }
    }
    this.resource = { buf: r.buf, start: resStart, end: resEnd };
    this.resourceCluster = this.resourceClusterOf(resStart, resEnd);
    // Pass 2: the scope metrics.
    r.pos = start;
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag >>> 3 === 2) this.scopeMetrics(r.delimited(end));
      else r.skip(tag & 7, end);
    }
  }

  private resourceClusterOf(start: number, end: number): string {
    const r = this.r;
    this.resetValues();
    r.pos = start;
    while (r.pos < end) {
      const tag = r.tag(end);
      if (tag >>> 3 === 1) {
        r.expect(tag, WT_LEN, 'Resource');
        this.keyValue(r.delimited(end));
      } else {
        r.skip(tag & 7, end);
      }
    }
    r.pos = end;
    return this.valueText(K_CLUSTER, '');
  }

  private scopeMetrics(end: number): void {
    const r = this.r;
    while (r.pos < end) {
      const tag = r.tag(end);
      const field = tag >>> 3;
      if (field >= 1 && field <= 3) {
        r.expect(tag, WT_LEN, 'ScopeMetrics');
        const e = r.delimited(end);
        if (field === 2) this.metric(e);
        r.pos = e;
      } else {
        r.skip(tag & 7, end);
      }
    }
  }

  private metric(end: number): void {
    const r = this.r;
    let nameStart = 0;
    let nameEnd = 0;
    let dataField = 0;
    let dataStart = 0;
    let dataEnd = 0;
    while (r.pos < end) {
      const tag = r.tag(end);
      const field = tag >>> 3;
      // name 1, description 2, unit 3, data oneof 5 7 9 10 11, metadata 12: all length-delimited.
      if (field <= 3 || field === 5 || field === 7 || (field >= 9 && field <= 12)) {
        r.expect(tag, WT_LEN, 'Metric');
        const e = r.delimited(end);
        if (field === 1) {
          nameStart = r.pos;
          nameEnd = e;
        } else if (field !== 2 && field !== 3 && field !== 12) {
          dataField = field; // a later oneof member replaces an earlier one
          dataStart = r.pos;
          dataEnd = e;
        }
        r.pos = e;
      } else {
        r.skip(tag & 7, end);
      }
    }
    if (dataField !== 5 && dataField !== 7) return; // only Gauge and Sum carry NumberDataPoints
    const protocol = this.watchedProtocol(nameStart, nameEnd);
    const t = this.traffic;
    const traffic = t === undefined ? -1 : this.trafficIndex(nameStart, nameEnd);
    if (protocol === undefined && traffic < 0) return;
    r.pos = dataStart;
    while (r.pos < dataEnd) {
      const tag = r.tag(dataEnd);
      const field = tag >>> 3;
      if (field === 1) {
        r.expect(tag, WT_LEN, dataField === 5 ? 'Gauge' : 'Sum');
        const e = r.delimited(dataEnd);
        if (t !== undefined && traffic >= 0) this.trafficPoint(e, protocol, traffic, t);
        else if (protocol !== undefined) this.point(e, protocol);
      } else if (dataField === 7 && (field === 2 || field === 3)) {
        r.expect(tag, WT_VARINT, 'Sum');
        r.skip(WT_VARINT, dataEnd);
      } else {
        r.skip(tag & 7, dataEnd);
      }
    }
    r.pos = end;
  }

  private watchedProtocol(start: number, end: number): Protocol | undefined {
    const { nameBytes, protocols } = this.spec;
    for (let i = 0; i < nameBytes.length; i++) {
      if (this.r.bytesEqual(start, end, nameBytes[i])) return protocols[i];
    }
    return undefined;
  }

  private trafficIndex(start: number, end: number): number {
    const bytes = this.spec.trafficNameBytes;
    for (let i = 0; i < bytes.length; i++) {
      if (this.r.bytesEqual(start, end, bytes[i])) return i;
    }
    return -1;
  }

  /** A point of a traffic metric: a sample, and an observation too when the metric is watched. */
  private trafficPoint(end: number, protocol: Protocol | undefined, traffic: number, t: TrafficPath): void {
    const start = this.r.pos;
    const p = t.point;
    this.resetValues();
    p.read(this.r, end, t.attrs);
    if (protocol !== undefined) this.emit(protocol, p.flags, p.timeMs, start, end);
    t.samples.add(this.spec.trafficNames[traffic], p, this.resourceCluster);
    this.r.pos = end;
  }

  private point(end: number, protocol: Protocol): void {
    const r = this.r;
    const start = r.pos;
    let timeLo = 0;
    let timeHi = 0;
    let flags = 0;
    this.resetValues();
    while (r.pos < end) {
      const tag = r.tag(end);
      switch (tag >>> 3) {
        case 7:
          r.expect(tag, WT_LEN, 'NumberDataPoint');
          this.keyValue(r.delimited(end));
          break;
        case 3:
          r.expect(tag, WT_FIXED64, 'NumberDataPoint');
          r.fixed64(end);
          timeLo = r.lo;
          timeHi = r.hi;
          break;
        case 8:
          r.expect(tag, WT_VARINT, 'NumberDataPoint');
          flags = r.uint32(end);
          break;
        case 2:
        case 4:
        case 6:
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
    this.emit(protocol, flags, nanosToMs(timeLo, timeHi), start, end);
    r.pos = end;
  }

  private emit(protocol: Protocol, flags: number, timeMs: number, start: number, end: number): void {
    const result = this.result;
    result.pointsTotal++;
    if ((flags & FLAG_NO_RECORDED_VALUE) !== 0) return drop(result, 'no_value');
    const source = this.valueText(K_SOURCE, '');
    if (source === '') return drop(result, 'missing_source');
    const dest = this.valueText(K_DEST, '');
    if (dest === '') return drop(result, 'missing_dest');
    const cluster = this.valueText(K_CLUSTER, this.resourceCluster);
    const sourceNs = this.valueText(K_SOURCE_NS, '');
    const destNs = this.valueText(K_DEST_NS, '');
    result.observations.push(new ProtobufObservation(cluster, protocol, source, dest, sourceNs, destNs, timeMs, this.resource, start, end));
  }

  /** Reads one KeyValue; records its value range when its key is one in use (last one wins). */
  private keyValue(end: number): void {
    const r = this.r;
    const kv = this.kv;
    readKeyValue(r, end, kv);
    const len = kv.keyEnd - kv.keyStart;
    const mask = len < 256 ? this.spec.keyLengthMask[len] : 0xff;
    if (mask === 0) return;
    const keyBytes = this.spec.keyBytes;
    const n = this.keyCount;
    for (let i = 0; i < n; i++) {
      if ((mask & (1 << i)) !== 0 && r.bytesEqual(kv.keyStart, kv.keyEnd, keyBytes[i])) {
        this.valueStart[i] = kv.valueStart;
        this.valueEnd[i] = kv.valueEnd;
      }
    }
  }

  private resetValues(): void {
    const vs = this.valueStart;
    const n = this.keyCount;
    for (let i = 0; i < n; i++) vs[i] = -1;
  }

  private valueText(key: number, absent: string): string {
    const start = this.valueStart[key];
    if (start < 0) return absent;
    const saved = this.r.pos;
    const text = readAttributeText(this.r, start, this.valueEnd[key]);
    this.r.pos = saved;
    return text;
  }
}

/** Decodes ExportMetricsServiceRequest bytes; throws DecodeError on malformed input. */
export function decodeOtlpProtobuf(buf: Buffer, spec: WatchSpec): DecodeResult {
  return new ProtobufWalker(buf, spec).request();
}
