import type { Config } from '../config/config';
import type { Logger } from '../telemetry/logger';
import type { Telemetry } from '../telemetry/metrics';
import { fileSignature, loadTlsMaterial, tlsPathsFrom, type TlsMaterial, type TlsPaths } from './tls-files';

export type TlsListener = (material: TlsMaterial) => void;

/** For the "listening" log lines. */
export function tlsMode(tls: TlsReloader | undefined): 'off' | 'tls' | 'mtls' {
  if (tls === undefined) return 'off';
  return tls.requireClientCert ? 'mtls' : 'tls';
}

/**
 * The receivers' TLS material, re-read when the files change. One instance feeds both
 * receivers so they always serve the same certificate. Files are polled with stat rather than
 * fs.watch: a Kubernetes Secret volume rotates by swapping a symlink, which inotify on the
 * file itself never reports. A change that does not load (half-written, key not matching the
 * certificate) is logged and the previous material stays in service.
 */
export class TlsReloader {
  private material: TlsMaterial;
  private signature: string;
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<TlsListener>();

  constructor(
    readonly paths: TlsPaths,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {
    // Signature first: a rotation that lands between the two is then picked up by the first check.
    this.signature = fileSignature(paths);
    this.material = loadTlsMaterial(paths);
  }

  /**
   * The reloader of a configuration, or undefined when TLS is off. Unreadable or mismatched files
   * throw ConfigError here, at start, rather than failing every handshake later. Registers
   * edgewatch_tls_cert_expiry_timestamp_seconds so an expiring certificate can be alerted on.
   */
  static fromConfig(
    cfg: Pick<Config, 'tlsCertFile' | 'tlsKeyFile' | 'tlsClientCaFile' | 'tlsReloadIntervalMs'>,
    logger: Logger,
    telemetry: Telemetry,
  ): TlsReloader | undefined {
    const paths = tlsPathsFrom(cfg);
    if (paths === null) return undefined;
    const tls = new TlsReloader(paths, cfg.tlsReloadIntervalMs, logger);
    telemetry.gauge('edgewatch_tls_cert_expiry_timestamp_seconds', 'notAfter of the OTLP receivers\' TLS certificate, seconds since the epoch', () => [
      [Math.floor(tls.current().notAfterMs / 1000), {}],
    ]);
    return tls;
  }

  /** True when clients must present a certificate (tls_client_ca_file is set). */
  get requireClientCert(): boolean {
    return this.paths.clientCaFile !== undefined;
  }

  current(): TlsMaterial {
    return this.material;
  }

  /** Called with the new material after each successful reload; returns the unsubscribe. */
  onChange(listener: TlsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.timer !== null || this.intervalMs <= 0) return;
    this.timer = setInterval(() => this.check(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reload if the files changed; true when new material went into service. */
  check(): boolean {
    const signature = fileSignature(this.paths);
    if (signature === this.signature) return false;
    // Remembered even on failure: the files are retried on their next change, not every tick.
    this.signature = signature;
    let next: TlsMaterial;
    try {
      next = loadTlsMaterial(this.paths);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'TLS files changed but do not load; still serving the previous certificate');
      return false;
    }
    this.material = next;
    for (const listener of this.listeners) {
      try {
        listener(next);
      } catch (err) {
        this.logger.error({ err }, 'applying reloaded TLS certificate failed');
      }
    }
    this.logger.info({ certFile: this.paths.certFile, notAfter: new Date(next.notAfterMs).toISOString() }, 'TLS certificate reloaded');
    return true;
  }
}
