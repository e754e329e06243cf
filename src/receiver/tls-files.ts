import { readFileSync, statSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { ConfigError } from '../core/errors';

/** Where the receivers' TLS material lives (config: tls_cert_file, tls_key_file, tls_client_ca_file). */
export interface TlsPaths {
  certFile: string;
  keyFile: string;
  /** When set, clients must present a certificate signed by this CA bundle (mTLS). */
  clientCaFile?: string;
}

/** The PEM bytes of one consistent set of TLS files. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  /** notAfter of the leaf certificate, ms since the epoch (for the expiry gauge). */
  notAfterMs: number;
}

interface TlsPathOptions {
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsClientCaFile?: string;
}

const set = (s: string | undefined): s is string => s !== undefined && s.trim() !== '';

/**
 * The TLS paths of a configuration, or null when TLS is off. Cert and key come as a pair, and a
 * client CA alone is refused: mTLS without server TLS would silently accept plaintext.
 */
export function tlsPathsFrom(cfg: TlsPathOptions): TlsPaths | null {
  const { tlsCertFile: cert, tlsKeyFile: key, tlsClientCaFile: ca } = cfg;
  if (!set(cert) && !set(key)) {
    if (set(ca)) throw new ConfigError('tls_client_ca_file', 'tls_cert_file and tls_key_file to be set too (mTLS needs TLS)', ca);
    return null;
  }
  if (!set(cert)) throw new ConfigError('tls_cert_file', 'a PEM certificate file, since tls_key_file is set', cert ?? '');
  if (!set(key)) throw new ConfigError('tls_key_file', 'a PEM private key file, since tls_cert_file is set', key ?? '');
  return set(ca) ? { certFile: cert, keyFile: key, clientCaFile: ca } : { certFile: cert, keyFile: key };
}

function read(path: string, field: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(field, 'a readable PEM file', `${path} (${(err as Error).message})`);
  }
}

/**
 * Read the files and prove they form a usable server context (key matches certificate, PEM
 * parses) before anyone serves with them: a half-rotated pair must never replace a good one.
 */
export function loadTlsMaterial(paths: TlsPaths): TlsMaterial {
  const cert = read(paths.certFile, 'tls_cert_file');
  const key = read(paths.keyFile, 'tls_key_file');
  const ca = paths.clientCaFile !== undefined ? read(paths.clientCaFile, 'tls_client_ca_file') : undefined;
  let notAfterMs: number;
  try {
    notAfterMs = Date.parse(new X509Certificate(cert).validTo);
  } catch (err) {
    throw new ConfigError('tls_cert_file', 'a PEM X.509 certificate', `${paths.certFile} (${(err as Error).message})`);
  }
  try {
    createSecureContext({ cert, key, ca });
  } catch (err) {
    throw new ConfigError('tls_key_file', 'the private key of tls_cert_file (and a PEM CA bundle in tls_client_ca_file)', `${paths.keyFile} (${(err as Error).message})`);
  }
  return ca !== undefined ? { cert, key, ca, notAfterMs } : { cert, key, notAfterMs };
}

/**
 * What identifies one version of the files: a rotation (rename over, Kubernetes' symlink swap of
 * a mounted Secret, or an in-place write) changes the inode, size or mtime of the resolved file.
 */
export function fileSignature(paths: TlsPaths): string {
  return [paths.certFile, paths.keyFile, paths.clientCaFile]
    .filter((p): p is string => p !== undefined)
    .map((p) => {
      try {
        const s = statSync(p);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}
