/**
 * A real `redis-server` that speaks only TLS (`--port 0 --tls-port P`), with certificates from
 * test-certs.ts, on a free port of 127.0.0.1, in a temp dir removed on dispose. Debian's redis 7
 * is built with TLS; `redis-server --tls-port` fails to start where it is not.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import type { TestPki } from './test-certs';

export interface TlsRedisServer {
  readonly port: number;
  /** `rediss://[:password@]127.0.0.1:port` */
  readonly url: string;
  /** One command through `redis-cli --tls`; returns its stdout. */
  cli(...args: string[]): string;
  /** The server's log so far (stdout and stderr). */
  log(): string;
  dispose(): Promise<void>;
}

const HOST = '127.0.0.1';

export async function startTlsRedis(pki: TestPki, opts: { password?: string } = {}): Promise<TlsRedisServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'ew-redis-tls-'));
  const auth = opts.password === undefined ? [] : ['--requirepass', opts.password];
  const child = spawn(
    'redis-server',
    [
      '--port', '0', '--tls-port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir,
      '--tls-cert-file', pki.server.cert, '--tls-key-file', pki.server.key, '--tls-ca-cert-file', pki.caCert, '--tls-auth-clients', 'no',
      ...auth,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  process.once('exit', () => child.kill('SIGKILL'));
  const cli = (...args: string[]): string => {
    const pass = opts.password === undefined ? [] : ['--no-auth-warning', '-a', opts.password];
    const r = spawnSync('redis-cli', ['--tls', '--cacert', pki.caCert, '-h', HOST, '-p', String(port), ...pass, ...args], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  const dispose = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server --tls-port exited: ${output.trim()}`);
    try {
      if (cli('PING').trim() === 'PONG') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await dispose();
      throw new Error(`redis-server --tls-port ${port} did not answer: ${output.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const cred = opts.password === undefined ? '' : `:${encodeURIComponent(opts.password)}@`;
  return { port, url: `rediss://${cred}${HOST}:${port}`, cli, log: () => output, dispose };
}
