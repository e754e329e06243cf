import { status as GrpcStatus } from '@grpc/grpc-js';
import { EdgewatchError, OverloadedError, type ErrorCode } from '../core/errors';

/** How one failure is answered on each transport (OTLP spec "Failures", OTLP-WIRE.md "Answers"). */
export interface FailureAnswer {
  grpcCode: GrpcStatus;
  httpStatus: number;
  /** Sent as HTTP `Retry-After` and as gRPC RetryInfo; only for retryable answers. */
  retryAfterSeconds?: number;
  /** Text for the client: the error's message, or a generic one for unexpected errors. */
  message: string;
  /** True when the error was not an EdgewatchError (a bug): the receiver logs it in full. */
  unexpected: boolean;
  /**
   * How loudly to log it: bugs are errors; bad or oversized payloads are warnings (a producer is
   * misconfigured and nothing else would say so); backpressure, outages the pipeline already
   * reports, and refused tokens are debug so a retry storm cannot flood the log.
   */
  logLevel: 'error' | 'warn' | 'debug';
}

/** Backpressure clears quickly; a store outage is given a little longer before the retry. */
export const RETRY_AFTER_OVERLOAD_S = 1;
export const RETRY_AFTER_UNAVAILABLE_S = 5;

const TABLE: Record<ErrorCode, { grpc: GrpcStatus; http: number }> = {
  INVALID_ARGUMENT: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 400 },
  UNAVAILABLE: { grpc: GrpcStatus.UNAVAILABLE, http: 503 },
  RESOURCE_EXHAUSTED: { grpc: GrpcStatus.RESOURCE_EXHAUSTED, http: 413 },
  UNAUTHENTICATED: { grpc: GrpcStatus.UNAUTHENTICATED, http: 401 },
  // A content type cannot be wrong over gRPC; should it ever arrive there it is still the
  // client's fault, and INVALID_ARGUMENT is not retried.
  UNSUPPORTED_MEDIA_TYPE: { grpc: GrpcStatus.INVALID_ARGUMENT, http: 415 },
  CONFIG: { grpc: GrpcStatus.INTERNAL, http: 500 },
  INTERNAL: { grpc: GrpcStatus.INTERNAL, http: 500 },
};

/** Map any thrown value to its gRPC status and HTTP status. */
export function mapFailure(err: unknown): FailureAnswer {
  if (!(err instanceof EdgewatchError)) {
    // Never leak internals of an unexpected failure to the client.
    return { grpcCode: GrpcStatus.INTERNAL, httpStatus: 500, message: 'internal error', unexpected: true, logLevel: 'error' };
  }
  const row = TABLE[err.code] ?? TABLE.INTERNAL;
  const loud = err.code === 'INVALID_ARGUMENT' || err.code === 'RESOURCE_EXHAUSTED' || err.code === 'UNSUPPORTED_MEDIA_TYPE';
  const logLevel = row.grpc === GrpcStatus.INTERNAL ? 'error' : loud ? 'warn' : 'debug';
  const answer: FailureAnswer = { grpcCode: row.grpc, httpStatus: row.http, message: err.message, unexpected: false, logLevel };
  if (err.code === 'UNAVAILABLE') {
    answer.retryAfterSeconds = err instanceof OverloadedError ? RETRY_AFTER_OVERLOAD_S : RETRY_AFTER_UNAVAILABLE_S;
  }
  return answer;
}

/** gRPC status name (`OK`, `UNAVAILABLE`, …) for metric labels and logs. */
export function grpcCodeName(code: GrpcStatus): string {
  return GrpcStatus[code] ?? String(code);
}
