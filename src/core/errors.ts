/**
 * Typed errors with codes. Whether a failure is permanent or retryable is decided here, once;
 * receivers map codes to gRPC status / HTTP status at the boundary (receiver/status-map.ts).
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'UNAVAILABLE'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAUTHENTICATED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'CONFIG'
  | 'INTERNAL';

export class EdgewatchError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  constructor(code: ErrorCode, message: string, retryable: boolean, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.retryable = retryable;
  }
}

/** The request bytes are not a valid OTLP message (permanent: the client must not retry). */
export class DecodeError extends EdgewatchError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message, false);
  }
}

/** The store cannot be reached or failed; the client should retry later. */
export class StoreUnavailableError extends EdgewatchError {
  constructor(message: string, cause?: unknown) {
    super('UNAVAILABLE', message, true, { cause });
  }
}

/** Too much work in flight; the client should back off and retry. */
export class OverloadedError extends EdgewatchError {
  constructor(message: string) {
    super('UNAVAILABLE', message, true);
  }
}

/** The request is larger than the configured limit (permanent). */
export class PayloadTooLargeError extends EdgewatchError {
  constructor(limit: number, size?: number) {
    super('RESOURCE_EXHAUSTED', `request of ${size ?? 'more than ' + limit} bytes exceeds the limit of ${limit} bytes`, false);
  }
}

export class UnauthenticatedError extends EdgewatchError {
  constructor(message = 'missing or invalid bearer token') {
    super('UNAUTHENTICATED', message, false);
  }
}

export class UnsupportedMediaTypeError extends EdgewatchError {
  constructor(given: string) {
    super('UNSUPPORTED_MEDIA_TYPE', `unsupported content type "${given}": expected application/x-protobuf or application/json`, false);
  }
}

/** A configuration value is invalid; the message names the field, the expected form and the given value. */
export class ConfigError extends EdgewatchError {
  readonly field: string;
  constructor(field: string, expected: string, given: unknown) {
    super('CONFIG', `invalid config "${field}": expected ${expected}, given ${JSON.stringify(given)}`, false);
    this.field = field;
  }
}
