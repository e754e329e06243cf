import { experimental, ServerCredentials } from '@grpc/grpc-js';
import type { TlsMaterial } from './tls-files';
import type { TlsReloader } from './tls-reloader';

type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/**
 * grpc-js' CertificateProvider fed by our TlsReloader (instead of grpc-js' own file watcher) so
 * that gRPC and HTTP reload the same validated material at the same moment, and a broken
 * rotation never blanks the credentials (grpc-js drops every connection while they are null).
 */
class ReloaderCertificateProvider implements experimental.CertificateProvider {
  private readonly ca = new Set<CaListener>();
  private readonly identity = new Set<IdentityListener>();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly tls: TlsReloader) {}

  addCaCertificateListener(listener: CaListener): void {
    this.ca.add(listener);
    this.subscribe();
    // Asynchronously, like grpc-js' own provider: the server registers its watcher after this call.
    const ca = this.tls.current().ca;
    process.nextTick(listener, ca !== undefined ? { caCertificate: ca } : null);
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.ca.delete(listener);
    this.maybeUnsubscribe();
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identity.add(listener);
    this.subscribe();
    const { cert, key } = this.tls.current();
    process.nextTick(listener, { certificate: cert, privateKey: key });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identity.delete(listener);
    this.maybeUnsubscribe();
  }

  private subscribe(): void {
    this.unsubscribe ??= this.tls.onChange((m: TlsMaterial) => {
      for (const l of this.identity) l({ certificate: m.cert, privateKey: m.key });
      if (m.ca !== undefined) for (const l of this.ca) l({ caCertificate: m.ca });
    });
  }

  private maybeUnsubscribe(): void {
    if (this.ca.size > 0 || this.identity.size > 0 || this.unsubscribe === null) return;
    this.unsubscribe();
    this.unsubscribe = null;
  }
}

/**
 * Server credentials of the gRPC receiver: insecure without TLS, else certificates that follow
 * the files. grpc-js' ServerCredentials.createSsl would freeze the first certificate until a restart.
 */
export function grpcServerCredentials(tls: TlsReloader | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  const provider = new ReloaderCertificateProvider(tls);
  // grpc-js 1.14 declares the parameters as (ca, identity, …) but uses them as (identity, ca, …):
  // the first must be the non-null identity provider, the second the CA provider or null.
  return experimental.createCertificateProviderServerCredentials(provider, tls.requireClientCert ? provider : null, tls.requireClientCert);
}
