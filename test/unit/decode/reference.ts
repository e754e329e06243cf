/**
 * The straightforward reference decoder the property tests compare against: it takes
 * protobufjs's full decode of the same bytes (toObject with longs and bytes as strings) and
 * applies the decode rules plainly, materializing every attribute.
 */
import type { DecodeResult, DropReason, Observation } from '../../../src/core/observation';
import type { DecoderOptions } from '../../../src/decode/decoder';

type Obj = Record<string, unknown>;
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' ? (v as Obj) : {});

/** An Observation with attributes() called: what the tests compare. */
export type PlainObservation = Omit<Observation, 'attributes'> & { attributes: Record<string, string> };
export interface PlainResult {
  observations: PlainObservation[];
  dropped: DecodeResult['dropped'];
  pointsTotal: number;
}

export function plainResult(r: DecodeResult): PlainResult {
  return { observations: r.observations.map((o) => ({ ...o, attributes: o.attributes() })), dropped: r.dropped, pointsTotal: r.pointsTotal };
}

/** Top-level attribute text of a protobufjs AnyValue object. */
export function refText(v: Obj): string {
  if ('stringValue' in v) return v.stringValue as string;
  if ('boolValue' in v || 'intValue' in v || 'doubleValue' in v || 'bytesValue' in v) {
    return String(v.boolValue ?? v.intValue ?? v.doubleValue ?? v.bytesValue);
  }
  if ('arrayValue' in v || 'kvlistValue' in v) return refJson(v);
  return '';
}

function refJson(v: Obj): string {
  if ('stringValue' in v) return JSON.stringify(v.stringValue);
  if ('boolValue' in v || 'intValue' in v) return String(v.boolValue ?? v.intValue);
  if ('doubleValue' in v) {
    const d = v.doubleValue as number;
    return Number.isFinite(d) ? String(d) : JSON.stringify(String(d));
  }
  if ('bytesValue' in v) return JSON.stringify(v.bytesValue);
  if ('arrayValue' in v) return `[${list(obj(v.arrayValue).values).map(refJson).join(',')}]`;
  if ('kvlistValue' in v) {
    const entries = list(obj(v.kvlistValue).values).map((kv) => `${JSON.stringify(kv.key ?? '')}:${refJson(obj(kv.value))}`);
    return `{${entries.join(',')}}`;
  }
  return 'null';
}

function attrMap(attrs: unknown): Map<string, string> {
  const m = new Map<string, string>();
  for (const kv of list(attrs)) m.set((kv.key as string | undefined) ?? '', refText(obj(kv.value)));
  return m;
}

export function referenceDecode(req: Obj, opts: DecoderOptions): PlainResult {
  const out: PlainResult = { observations: [], dropped: {}, pointsTotal: 0 };
  const drop = (r: DropReason) => (out.dropped[r] = (out.dropped[r] ?? 0) + 1);
  for (const rm of list(req.resourceMetrics)) {
    const res = attrMap(obj(rm.resource).attributes);
    for (const sm of list(rm.scopeMetrics)) {
      for (const m of list(sm.metrics)) {
        const name = (m.name as string | undefined) ?? '';
        const data = m.gauge ?? m.sum;
        if (!opts.metrics.includes(name) || data === undefined) continue;
        for (const p of list(obj(data).dataPoints)) {
          out.pointsTotal++;
          const attrs = attrMap(p.attributes);
          if ((Number(p.flags ?? 0) & 1) === 1) drop('no_value');
          else if (!attrs.get(opts.sourceAttr)) drop('missing_source');
          else if (!attrs.get(opts.destAttr)) drop('missing_dest');
          else {
            out.observations.push({
              cluster: attrs.get(opts.clusterAttr) ?? res.get(opts.clusterAttr) ?? '',
              protocol: name.startsWith('tcp.') ? 'tcp' : 'udp',
              source: attrs.get(opts.sourceAttr) ?? '',
              dest: attrs.get(opts.destAttr) ?? '',
              sourceNamespace: attrs.get(opts.sourceNamespaceAttr) ?? '',
              destNamespace: attrs.get(opts.destNamespaceAttr) ?? '',
              timeMs: p.timeUnixNano === undefined ? 0 : Number(BigInt(p.timeUnixNano as string) / 1000000n),
              attributes: Object.fromEntries(new Map([...res, ...attrs])),
            });
          }
        }
      }
    }
  }
  return out;
}
