import { freePort } from './free-port';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real `redis-server` processes for integration tests, on free ports of 127.0.0.1, without
 * persistence, in temp dirs removed on stop. Never the shared Redis on 6379.
 */

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGTERM and wait for the exit; the port stays reserved for restart(). */
  stop(): Promise<void>;
  /** Start again on the same port (data is gone: no persistence). */
  restart(): Promise<void>;
  /** stop() and remove the temp dir. */
  dispose(): Promise<void>;
  /** SIGKILL and wait for the exit: a crash (no shutdown, no handing over to replicas). */
  crash(): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that holds connections open but never answers. */
  pause(): void;
  resume(): void;
  /** One command through redis-cli; returns its stdout. */
  cli(...args: string[]): string;
}

export interface RedisCluster {
  readonly ports: number[];
  /** `redis-cluster://127.0.0.1:p1,127.0.0.1:p2,…` */
  readonly url: string;
  readonly nodes: RedisServer[];
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// A crashed test run must not leave servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export { freePort };

/** Sends one inline command over a raw socket and returns the reply text ('' on failure). */
function rawCommand(port: number, command: string, timeoutMs = 500): Promise<string> {
  return new Promise((resolve) => {
    let data = Buffer.alloc(0);
    const sock = createConnection({ host: HOST, port });
    const done = (text: string): void => {
      sock.destroy();
      resolve(text);
    };
    sock.setTimeout(timeoutMs, () => done(''));
    sock.once('error', () => done(''));
    sock.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const headerEnd = data.indexOf('\r\n');
      if (headerEnd < 0) return;
      if (data[0] !== 0x24 /* $ */) return done(data.toString('utf8'));
      const len = Number(data.subarray(1, headerEnd).toString('utf8'));
      if (len < 0) return done('');
      if (data.length >= headerEnd + 2 + len + 2) done(data.subarray(headerEnd + 2, headerEnd + 2 + len).toString('utf8'));
    });
    sock.once('connect', () => sock.write(`${command}\r\n`));
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = START_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface ServerOptions {
  port?: number;
  /** Extra config args, e.g. cluster mode. */
  args?: string[];
  /** Config file written into the temp dir and passed first (Sentinel rewrites its own). */
  configFile?: string;
}

class Server implements RedisServer {
  private child: ChildProcess | null = null;
  private stderr = '';
  constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly args: string[],
    private readonly configFile?: string,
  ) {}

  get url(): string {
    return `redis://${HOST}:${this.port}`;
  }

  async start(): Promise<void> {
    const conf = this.configFile === undefined ? [] : [join(this.dir, 'redis.conf')];
    const args = [...conf, '--port', String(this.port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', this.dir, ...this.args];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    this.stderr = '';
    child.stderr?.on('data', (c: Buffer) => (this.stderr += c.toString('utf8')));
    running.add(child);
    let gone = false;
    child.once('exit', () => {
      gone = true;
      running.delete(child);
    });
    await waitFor(`redis-server on port ${this.port}`, async () => {
      if (gone) throw new Error(`redis-server on port ${this.port} exited: ${this.stderr.trim()}`);
      // Our own process must answer, not another server that holds the port.
      return (await rawCommand(this.port, 'INFO server')).includes(`process_id:${child.pid}\r\n`);
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  async crash(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async dispose(): Promise<void> {
    this.resume(); // a stopped process ignores SIGTERM until continued
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  cli(...args: string[]): string {
    const r = spawnSync('redis-cli', ['-h', HOST, '-p', String(this.port), ...args], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    return r.stdout;
  }
}

/** Starts a standalone redis-server on a free port (retries when another process grabs the port first). */
export async function startRedis(opts: ServerOptions = {}): Promise<RedisServer> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = opts.port ?? (await freePort());
    const dir = mkdtempSync(join(tmpdir(), 'ew-redis-'));
    if (opts.configFile !== undefined) writeFileSync(join(dir, 'redis.conf'), opts.configFile);
    const server = new Server(port, dir, opts.args ?? [], opts.configFile);
    try {
      await server.start();
      return server;
    } catch (err) {
      lastErr = err;
      await server.dispose();
      if (opts.port !== undefined) break;
    }
  }
  throw lastErr;
}

export interface SentinelOptions {
  /** Sentinels that must agree the master is down (default 1). */
  quorum?: number;
  /** `down-after-milliseconds`: silence before a master counts as down (Redis default 30 s). */
  downAfterMs?: number;
  /** `failover-timeout` (Redis default 3 min). */
  failoverTimeoutMs?: number;
}

/** A Sentinel watching the master on `masterPort` under `name`. */
export async function startSentinel(masterPort: number, name = 'mymaster', opts: SentinelOptions = {}): Promise<RedisServer> {
  const conf = [`sentinel monitor ${name} ${HOST} ${masterPort} ${opts.quorum ?? 1}`];
  if (opts.downAfterMs !== undefined) conf.push(`sentinel down-after-milliseconds ${name} ${opts.downAfterMs}`);
  if (opts.failoverTimeoutMs !== undefined) conf.push(`sentinel failover-timeout ${name} ${opts.failoverTimeoutMs}`);
  return startRedis({ configFile: `${conf.join('\n')}\n`, args: ['--sentinel'] });
}

/**
 * `n` cluster-enabled masters made into one cluster with `redis-cli --cluster create`, resolved
 * once every node reports `cluster_state:ok` and knows all n nodes and all 16384 slots.
 */
export async function startCluster(n = 3): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  try {
    for (let i = 0; i < n; i++) {
      // The cluster bus port is set explicitly, so it is free too (not just port + 10000).
      const busPort = await freePort();
      nodes.push(
        await startRedis({
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000', '--cluster-port', String(busPort)],
        }),
      );
    }
    const addrs = nodes.map((s) => `${HOST}:${s.port}`);
    const create = spawnSync('redis-cli', ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}\n${create.stderr}`);
    await waitFor('cluster_state:ok on every node', async () => {
      const infos = await Promise.all(nodes.map((s) => rawCommand(s.port, 'CLUSTER INFO')));
      return infos.every(
        (info) => info.includes('cluster_state:ok') && info.includes('cluster_slots_ok:16384') && info.includes(`cluster_known_nodes:${n}`),
      );
    }, 20_000);
  } catch (err) {
    await Promise.all(nodes.map((s) => s.dispose()));
    throw err;
  }
  return {
    ports: nodes.map((s) => s.port),
    url: `redis-cluster://${nodes.map((s) => `${HOST}:${s.port}`).join(',')}`,
    nodes,
    stop: async () => {
      await Promise.all(nodes.map((s) => s.dispose()));
    },
  };
}
