/**
 * The BUILT service as a child process (`node bin/edgewatch.js serve`), the way a container or
 * `npm start` runs it: real signals, real exit codes, real config from the environment.
 */
import { freePort, freePorts } from './free-port';
import { serviceNodeFlags } from './node-flags';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

export const ROOT = join(__dirname, '../..');
const STAMP = join(ROOT, 'dist', '.test-build-stamp');

/** Newest mtime of any file under dir (build stamps). */
export function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * Compile src/ to dist/ unless dist is already built from the current sources (a stamp holds
 * the newest source mtime), so several test files share one build.
 */
export function ensureBuilt(): void {
  const inputs = ['tsconfig.json', 'tsconfig.build.json', 'package.json'].map((f) => statSync(join(ROOT, f)).mtimeMs);
  const newest = String(Math.max(newestMtime(join(ROOT, 'src')), ...inputs));
  if (existsSync(join(ROOT, 'dist/cli/main.js')) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === newest) return;
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch (err) {
    const out = (err as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`npm run build failed:\n${out}`);
  }
  writeFileSync(STAMP, newest);
}

export { freePort, freePorts };

export interface ChildPorts {
  grpc: number;
  http: number;
  admin: number;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildService {
  proc: ChildProcess;
  ports: ChildPorts;
  /** stdout and stderr lines so far (JSON log lines at EDGEWATCH_LOG_LEVEL). */
  logs: string[];
  exited: Promise<ChildExit>;
  /** Send a signal and wait for the exit (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ChildExit>;
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** GET on 127.0.0.1; resolves with the status (0 when nothing answers). */
export function httpStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

export interface StartChildOptions {
  /** EDGEWATCH_* and other variables for the child (the parent's EDGEWATCH_* are not inherited). */
  env: Record<string, string>;
  /** Command line after `node`; default: the `npm start` flags, `bin/edgewatch.js serve` in the repository. */
  argv?: string[];
  /** Flags appended to the default command line (`serve --store …`). */
  serveArgs?: string[];
  /** Ports the service will listen on (and is polled on), e.g. when flags set the addresses; default: free ones, set in the env. */
  ports?: ChildPorts;
  cwd?: string;
  /** Wait for this admin path to answer 200; default /readyz. */
  readyPath?: string;
  startTimeoutMs?: number;
}

/** Start the built service on free loopback ports and wait until it is ready. */
export async function startChild(opts: StartChildOptions): Promise<ChildService> {
  const ports: ChildPorts = opts.ports ?? (await freePorts(3).then((p) => ({ grpc: p[0], http: p[1], admin: p[2] })));
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EDGEWATCH_')));
  const env = {
    ...inherited,
    EDGEWATCH_OTLP_GRPC_ADDR: `127.0.0.1:${ports.grpc}`,
    EDGEWATCH_OTLP_HTTP_ADDR: `127.0.0.1:${ports.http}`,
    EDGEWATCH_ADMIN_ADDR: `127.0.0.1:${ports.admin}`,
    EDGEWATCH_LEARNING_PERIOD: '0',
    EDGEWATCH_LOG_LEVEL: 'info',
    ...opts.env,
  };
  const argv = opts.argv ?? [...serviceNodeFlags(), join(ROOT, 'bin/edgewatch.js'), 'serve', ...(opts.serveArgs ?? [])];
  const proc = spawn(process.execPath, argv, { cwd: opts.cwd ?? ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  const logs: string[] = [];
  for (const stream of [proc.stdout, proc.stderr]) {
    let rest = '';
    stream?.on('data', (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      logs.push(...lines);
    });
  }
  const exited = new Promise<ChildExit>((resolve) => {
    proc.once('exit', (code, signal) => {
      children.delete(proc);
      resolve({ code, signal });
    });
  });
  let gone: ChildExit | null = null;
  void exited.then((e) => (gone = e));
  const until = Date.now() + (opts.startTimeoutMs ?? 15_000);
  while ((await httpStatus(ports.admin, opts.readyPath ?? '/readyz')) !== 200) {
    if (gone !== null || Date.now() > until) {
      proc.kill('SIGKILL');
      throw new Error(`edgewatch did not become ready (exit ${JSON.stringify(gone)}):\n${logs.slice(-30).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<ChildExit> => {
    if (gone === null) proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };
  return { proc, ports, logs, exited, stop };
}

/** JSON log lines of a child whose `msg` matches. */
export function logLines(logs: string[], msg: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of logs) {
    if (!line.startsWith('{')) continue;
    try {
      const rec = JSON.parse(line) as Record<string, unknown>;
      if (rec.msg === msg) out.push(rec);
    } catch {
      // not a log line
    }
  }
  return out;
}
