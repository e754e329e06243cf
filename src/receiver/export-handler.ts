/** What a receiver hands the pipeline: the raw request body after transport decompression. */
export interface ExportRequest {
  body: Buffer;
  format: 'protobuf' | 'json';
  transport: 'grpc' | 'http';
}

/** The pipeline's answer; rejectedDataPoints > 0 becomes OTLP `partial_success`. */
export interface ExportAnswer {
  rejectedDataPoints: number;
  errorMessage: string;
}

/**
 * Processes one OTLP export request. Rejects with an EdgewatchError whose `code` the receiver
 * maps to gRPC / HTTP status (receiver/status-map.ts); any other error maps to INTERNAL / 500.
 */
export type ExportHandler = (req: ExportRequest) => Promise<ExportAnswer>;
