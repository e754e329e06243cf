import type { ExportAnswer } from './export-handler';

/*
 * The few response messages a receiver writes, encoded by hand: they are tiny and fixed, so a
 * protobuf runtime on the answer path would buy nothing. Field numbers: OTLP-WIRE.md and
 * google/rpc/status.proto, google/rpc/error_details.proto, google/protobuf/{any,duration}.proto.
 */

export type BodyFormat = 'protobuf' | 'json';

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

/** Unsigned varint of a non-negative safe integer (no BigInt: counts stay below 2^53). */
function varint(n: number): Buffer {
  const bytes: number[] = [];
  let v = Math.max(0, Math.floor(n));
  while (v > 0x7f) {
    bytes.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

const tag = (field: number, wire: number): Buffer => varint((field << 3) | wire);

function varintField(field: number, n: number): Buffer {
  return Buffer.concat([tag(field, WIRE_VARINT), varint(n)]);
}

function bytesField(field: number, value: Buffer | string): Buffer {
  const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  return Buffer.concat([tag(field, WIRE_LEN), varint(data.length), data]);
}

/** Whether the answer carries a partial_success (only when points were rejected). */
function isPartial(answer: ExportAnswer): boolean {
  return answer.rejectedDataPoints > 0;
}

/** ExportMetricsServiceResponse as protobuf; zero bytes (the empty message) on full success. */
export function encodeExportResponseProto(answer: ExportAnswer): Buffer {
  if (!isPartial(answer)) return Buffer.alloc(0);
  const parts = [varintField(1, answer.rejectedDataPoints)];
  if (answer.errorMessage) parts.push(bytesField(2, answer.errorMessage));
  return bytesField(1, Buffer.concat(parts));
}

/** ExportMetricsServiceResponse as OTLP JSON (int64 as a decimal string, lowerCamelCase keys). */
export function encodeExportResponseJson(answer: ExportAnswer): Buffer {
  if (!isPartial(answer)) return Buffer.from('{}');
  const partialSuccess = {
    rejectedDataPoints: String(Math.floor(answer.rejectedDataPoints)),
    errorMessage: answer.errorMessage,
  };
  return Buffer.from(JSON.stringify({ partialSuccess }));
}

export function encodeExportResponse(answer: ExportAnswer, format: BodyFormat): Buffer {
  return format === 'json' ? encodeExportResponseJson(answer) : encodeExportResponseProto(answer);
}

/** google.rpc.RetryInfo wrapped in google.protobuf.Any, for a Status's `details`. */
function retryInfoAny(seconds: number): Buffer {
  const duration = varintField(1, seconds);
  const retryInfo = bytesField(1, duration);
  return Buffer.concat([bytesField(1, 'type.googleapis.com/google.rpc.RetryInfo'), bytesField(2, retryInfo)]);
}

/**
 * google.rpc.Status as protobuf: code = 1, message = 2, details = 3 (a RetryInfo when a retry
 * delay is given: the gRPC form of HTTP's Retry-After, read by the collector's exporter).
 */
export function encodeStatusProto(code: number, message: string, retryAfterSeconds?: number): Buffer {
  const parts: Buffer[] = [];
  if (code !== 0) parts.push(varintField(1, code));
  if (message) parts.push(bytesField(2, message));
  if (retryAfterSeconds !== undefined) parts.push(bytesField(3, retryInfoAny(retryAfterSeconds)));
  return Buffer.concat(parts);
}

/** google.rpc.Status as proto3 JSON. */
export function encodeStatusJson(code: number, message: string): Buffer {
  return Buffer.from(JSON.stringify({ code, message }));
}

export function encodeStatus(code: number, message: string, format: BodyFormat): Buffer {
  return format === 'json' ? encodeStatusJson(code, message) : encodeStatusProto(code, message);
}

export const CONTENT_TYPE: Record<BodyFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};
