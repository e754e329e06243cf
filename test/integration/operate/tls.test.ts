/**
 * TLS and mTLS on both OTLP receivers of the built service, with certificates made by openssl
 * at test time: handshakes, refusal of clients without (or with a foreign) certificate, the
 * bearer token on top, and a certificate rotated on disk served without a restart.
 */
import * as grpc from '@grpc/grpc-js';
import { renameSync, writeFileSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { reducerRequest } from '../../helpers/otlp-fixtures';
import { aligned, tempDir } from '../../helpers/service-harness';
import { ensureBuilt, startChild, type ChildService } from '../../helpers/child-service';
import { caOf, makeLeaf, makeTestPki, type CertPair, type TestPki } from '../../helpers/test-certs';

const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';
const TOKEN = 'tls-test-token';

let tmp: ReturnType<typeof tempDir>;
let pki: TestPki;

const body = (src: string): Buffer =>
  reducerRequest({ cluster: 'tls', edges: [{ src, dst: 'db' }], timeMs: aligned(Date.now()), metricsPerRequest: 10 }).protobuf;

/** One Export over a fresh gRPC channel; resolves with the status code. */
function grpcCall(port: number, creds: grpc.ChannelCredentials, token?: string): Promise<grpc.status> {
  // The certificate names localhost (and 127.0.0.1); an IP as TLS server name is deprecated in Node.
  const client = new grpc.Client(`127.0.0.1:${port}`, creds, { 'grpc.ssl_target_name_override': 'localhost', 'grpc.default_authority': 'localhost' });
  const md = new grpc.Metadata();
  if (token) md.set('authorization', `Bearer ${token}`);
  const id = (b: Buffer): Buffer => b;
  return new Promise((resolve) => {
    client.makeUnaryRequest(EXPORT_PATH, id, id, body(`grpc-${Date.now()}`), md, { deadline: Date.now() + 5000 }, (err) => {
      client.close();
      resolve(err ? err.code : grpc.status.OK);
    });
  });
}

const tlsCreds = (client?: CertPair): grpc.ChannelCredentials =>
  client
    ? grpc.credentials.createSsl(readFileSync(pki.caCert), readFileSync(client.key), readFileSync(client.cert))
    : grpc.credentials.createSsl(readFileSync(pki.caCert));

/** POST /v1/metrics over HTTPS on a fresh connection; the status, or the error code of a refused handshake. */
function httpsPost(port: number, client?: CertPair, token?: string): Promise<number | string> {
  const headers: Record<string, string> = { 'Content-Type': 'application/x-protobuf' };
  if (token) headers.Authorization = `Bearer ${token}`;
  return new Promise((resolve) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1', port, method: 'POST', path: '/v1/metrics', headers, agent: false,
        ca: readFileSync(pki.caCert), cert: client ? readFileSync(client.cert) : undefined, key: client ? readFileSync(client.key) : undefined,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end(body(`http-${Date.now()}`));
  });
}

/** Serial number of the certificate a fresh TLS connection to `port` is served. */
function servedSerial(port: number, alpn: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', servername: 'localhost', port, ca: readFileSync(pki.caCert), ALPNProtocols: alpn }, () => {
      const serial = socket.getPeerCertificate().serialNumber;
      socket.destroy();
      resolve(serial);
    });
    socket.on('error', reject);
  });
}

/**
 * The server's verdict on a TLS handshake from a client that sends nothing after it: the alert
 * the server sent (a Node error code such as ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED), or
 * `closed` when it closed the connection without one. Under TLS 1.3 the client's side of the
 * handshake completes before the server has checked the client certificate, so the verdict
 * comes after `secureConnect`.
 */
function refusal(port: number, client?: CertPair): Promise<string> {
  return new Promise((resolve) => {
    const socket = tlsConnect({
      host: '127.0.0.1', servername: 'localhost', port, ALPNProtocols: ['http/1.1'],
      ca: readFileSync(pki.caCert), cert: client ? readFileSync(client.cert) : undefined, key: client ? readFileSync(client.key) : undefined,
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    socket.on('close', () => resolve('closed'));
  });
}

const serialOf = (path: string): string => new X509Certificate(readFileSync(path)).serialNumber;

async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Compiling dist/ (when sources changed) gets its own budget, not the hook's 30 s.
beforeAll(() => ensureBuilt(), 120_000);

beforeAll(() => {
  tmp = tempDir('ew-tls-');
  pki = makeTestPki(tmp.dir);
}, 60_000);

afterAll(() => tmp.cleanup());

describe('TLS (server certificate only)', () => {
  let ew: ChildService;
  const served = { cert: '', key: '' };

  beforeAll(async () => {
    // The service reads copies, so the test can rotate them without touching the PKI.
    served.cert = join(tmp.dir, 'served.crt');
    served.key = join(tmp.dir, 'served.key');
    writeFileSync(served.cert, readFileSync(pki.server.cert));
    writeFileSync(served.key, readFileSync(pki.server.key));
    ew = await startChild({
      env: { EDGEWATCH_STORE: 'memory:', EDGEWATCH_TLS_CERT_FILE: served.cert, EDGEWATCH_TLS_KEY_FILE: served.key, EDGEWATCH_TLS_RELOAD_INTERVAL: '200ms' },
    });
  });

  afterAll(async () => {
    expect((await ew.stop()).code).toBe(0);
  });

  test('gRPC: a client trusting the CA exports; a plaintext client cannot', async () => {
    expect(await grpcCall(ew.ports.grpc, tlsCreds())).toBe(grpc.status.OK);
    expect(await grpcCall(ew.ports.grpc, grpc.credentials.createInsecure())).toBe(grpc.status.UNAVAILABLE);
  });

  test('HTTP: HTTPS exports; plaintext HTTP gets no HTTP answer, the connection is closed', async () => {
    expect(await httpsPost(ew.ports.http)).toBe(200);
    const plain = await new Promise<number | string>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: ew.ports.http, method: 'POST', path: '/v1/metrics', headers: { 'Content-Type': 'application/x-protobuf' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      req.end(body('plain'));
    });
    // Not a TLS record: the server drops the connection without a byte; node calls that a hang-up.
    expect(plain).toBe('ECONNRESET');
  });

  test('the certificate expiry is exported as a gauge', async () => {
    const text = await new Promise<string>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port: ew.ports.admin, path: '/metrics' }, (res) => {
        let s = '';
        res.on('data', (c: Buffer) => (s += c.toString()));
        res.on('end', () => resolve(s));
      })
        .on('error', reject)
        .end();
    });
    const m = /^edgewatch_tls_cert_expiry_timestamp_seconds(?:\{[^}]*\})? (\d+)/m.exec(text);
    expect(m).not.toBeNull();
    const notAfter = Date.parse(new X509Certificate(readFileSync(pki.server.cert)).validTo) / 1000;
    expect(Number(m?.[1])).toBe(Math.floor(notAfter));
  });

  test('a certificate rotated on disk is served by both receivers without a restart', async () => {
    const before = serialOf(served.cert);
    expect(await servedSerial(ew.ports.http, ['http/1.1'])).toBe(before);
    expect(await servedSerial(ew.ports.grpc, ['h2'])).toBe(before);
    const next = makeLeaf(tmp.dir, caOf(pki), 'server-rotated', 'serverAuth');
    // Rename over the served files, as a Secret update or cert-manager does (atomically per file).
    renameSync(next.key, served.key);
    renameSync(next.cert, served.cert);
    const after = serialOf(served.cert);
    expect(after).not.toBe(before);
    await eventually(async () => (await servedSerial(ew.ports.http, ['http/1.1'])) === after, 5000, 'HTTP to serve the new certificate');
    await eventually(async () => (await servedSerial(ew.ports.grpc, ['h2'])) === after, 5000, 'gRPC to serve the new certificate');
    expect(await grpcCall(ew.ports.grpc, tlsCreds())).toBe(grpc.status.OK);
    expect(await httpsPost(ew.ports.http)).toBe(200);
  });

  test('a broken rotation keeps the previous certificate in service', async () => {
    const current = serialOf(served.cert);
    writeFileSync(served.key, '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n');
    await eventually(async () => ew.logs.some((l) => l.includes('do not load')), 5000, 'the reload failure to be logged');
    expect(await servedSerial(ew.ports.http, ['http/1.1'])).toBe(current);
    expect(await grpcCall(ew.ports.grpc, tlsCreds())).toBe(grpc.status.OK);
  });
});

describe('mTLS and the bearer token', () => {
  let ew: ChildService;

  beforeAll(async () => {
    ew = await startChild({
      env: {
        EDGEWATCH_STORE: 'memory:',
        EDGEWATCH_TLS_CERT_FILE: pki.server.cert,
        EDGEWATCH_TLS_KEY_FILE: pki.server.key,
        EDGEWATCH_TLS_CLIENT_CA_FILE: pki.caCert,
        EDGEWATCH_AUTH_TOKEN: TOKEN,
      },
    });
  });

  afterAll(async () => {
    expect((await ew.stop()).code).toBe(0);
  });

  test('gRPC: client certificate and token → OK; no token → UNAUTHENTICATED', async () => {
    expect(await grpcCall(ew.ports.grpc, tlsCreds(pki.client), TOKEN)).toBe(grpc.status.OK);
    expect(await grpcCall(ew.ports.grpc, tlsCreds(pki.client))).toBe(grpc.status.UNAUTHENTICATED);
    expect(await grpcCall(ew.ports.grpc, tlsCreds(pki.client), 'wrong')).toBe(grpc.status.UNAUTHENTICATED);
  });

  test('gRPC: no client certificate, or one of another CA → the handshake is refused', async () => {
    expect(await grpcCall(ew.ports.grpc, tlsCreds(), TOKEN)).toBe(grpc.status.UNAVAILABLE);
    expect(await grpcCall(ew.ports.grpc, tlsCreds(pki.strangerClient), TOKEN)).toBe(grpc.status.UNAVAILABLE);
  });

  test('HTTP: client certificate and token → 200; no token → 401', async () => {
    expect(await httpsPost(ew.ports.http, pki.client, TOKEN)).toBe(200);
    expect(await httpsPost(ew.ports.http, pki.client)).toBe(401);
  });

  test('HTTP: no client certificate → certificate_required alert; one of another CA → connection closed; no HTTP answer', async () => {
    // The verdicts themselves, on connections that send nothing after the handshake.
    expect(await refusal(ew.ports.http)).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    expect(await refusal(ew.ports.http, pki.strangerClient)).toBe('closed');
    // An HTTP request sent on top gets no status: the alert, or the reset that follows it.
    expect(await httpsPost(ew.ports.http, undefined, TOKEN)).toMatch(/^(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ECONNRESET)$/);
    expect(await httpsPost(ew.ports.http, pki.strangerClient, TOKEN)).toBe('ECONNRESET');
  });
});

test('a key that does not match the certificate stops the start with exit 2 naming the field', async () => {
  await expect(
    startChild({ env: { EDGEWATCH_STORE: 'memory:', EDGEWATCH_TLS_CERT_FILE: pki.server.cert, EDGEWATCH_TLS_KEY_FILE: pki.client.key }, startTimeoutMs: 5000 }),
  ).rejects.toThrow(/exit \{"code":2.*tls_key_file/s);
});
