/**
 * Throwaway PKI for TLS tests, made with the openssl CLI at test time (nothing secret is
 * committed): a CA, a server certificate for localhost/127.0.0.1, a client certificate the CA
 * signed, and a client certificate of an unrelated CA (must be refused under mTLS).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export interface CertPair {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  caCert: string;
  server: CertPair;
  client: CertPair;
  /** Signed by another CA. */
  strangerClient: CertPair;
  read(path: string): Buffer;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): CertPair {
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  openssl(dir, [
    'req', '-x509', ...EC, '-keyout', pair.key, '-out', pair.cert, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return pair;
}

/** A leaf signed by `ca`; `usage` is serverAuth or clientAuth. */
export function makeLeaf(dir: string, ca: CertPair, name: string, usage: 'serverAuth' | 'clientAuth'): CertPair {
  const pair = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`);
  openssl(dir, ['req', ...EC, '-keyout', pair.key, '-out', csr, '-subj', `/CN=${name}`]);
  openssl(dir, [
    'x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    '-days', '2', '-extfile', ext, '-out', pair.cert,
  ]);
  return pair;
}

export function makeTestPki(dir: string): TestPki {
  const ca = makeCa(dir, 'ca');
  const stranger = makeCa(dir, 'stranger-ca');
  return {
    dir,
    caCert: ca.cert,
    server: makeLeaf(dir, ca, 'server', 'serverAuth'),
    client: makeLeaf(dir, ca, 'client', 'clientAuth'),
    strangerClient: makeLeaf(dir, stranger, 'stranger-client', 'clientAuth'),
    read: (path: string) => readFileSync(path),
  };
}

/** The CA pair of a PKI made by makeTestPki (to sign a replacement server certificate). */
export function caOf(pki: TestPki): CertPair {
  return { cert: pki.caCert, key: join(pki.dir, 'ca.key') };
}
