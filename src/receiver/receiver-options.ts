import type { TlsReloader } from './tls-reloader';

/** What both OTLP receivers are built from (config: otlp_*_addr, max_message_size, auth_token, max_inflight_requests). */
export interface ReceiverOptions {
  /** `host:port`; port 0 picks a free port, IPv6 as `[::]:4317`. */
  addr: string;
  /** Largest request accepted, after decompression. */
  maxMessageBytes: number;
  /** When set, requests must carry `Authorization: Bearer <token>`. */
  authToken?: string;
  /** Requests processed at once; one more is refused at once (UNAVAILABLE / 503: backpressure). */
  maxInflight: number;
  /** TLS (and mTLS) material that follows its files; plaintext when absent. */
  tls?: TlsReloader;
}
