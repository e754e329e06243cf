import type { Attributes, Observation, Protocol } from '../core/observation';
import { collectAttributes } from './protobuf-attributes';
import { WireReader } from './wire-reader';

/** Where a point's resource lives, shared by all observations of one ResourceMetrics. */
export interface ResourceRef {
  buf: Buffer;
  start: number;
  end: number;
}

/** An observation decoded from protobuf; attributes() decodes the stored byte ranges on demand. */
export class ProtobufObservation implements Observation {
  readonly #resource: ResourceRef;
  readonly #start: number;
  readonly #end: number;

  constructor(
    public cluster: string,
    public protocol: Protocol,
    public source: string,
    public dest: string,
    public sourceNamespace: string,
    public destNamespace: string,
    public timeMs: number,
    resource: ResourceRef,
    pointStart: number,
    pointEnd: number,
  ) {
    this.#resource = resource;
    this.#start = pointStart;
    this.#end = pointEnd;
  }

  attributes(): Attributes {
    const out: Attributes = {};
    const res = this.#resource;
    const r = new WireReader(res.buf);
    collectAttributes(r, res.start, res.end, 1, out); // Resource.attributes = 1
    collectAttributes(r, this.#start, this.#end, 7, out); // NumberDataPoint.attributes = 7
    return out;
  }
}
