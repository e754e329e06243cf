import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * WAL checkpoints off the event loop. With SQLite's auto-checkpoint, the commit that crosses
 * 1000 WAL pages copies them all into the database file on the event loop: at a baseline of a
 * million edges that is many MB, and every export waits for it. Here a worker thread with its
 * own connection on the same file runs `wal_checkpoint(PASSIVE)` every `intervalMs` (it never
 * blocks writers or readers), pass after pass while the passes stay long (catching up with a
 * busy writer). Caught up, the WAL restarts from its start at the main connection's next
 * transaction (the file keeps its size, up to `journal_size_limit` = `hardBytes`). Only after a
 * short pass, so that little is left to copy under the writer lock, the worker runs
 * `wal_checkpoint(TRUNCATE)` when no one writes (the file back to 0 bytes at no one's cost) and
 * `wal_checkpoint(RESTART)` when the WAL's content has not restarted for long (past half of
 * `hardBytes`). It waits at most TRUNCATE_WAIT_MS for the lock and for readers, else gives up
 * until the next tick. (A TRUNCATE at every `truncateBytes` under steady writes held the event
 * loop ~100-140 ms each at a 10 M-edge baseline with every point a write: measured.)
 * The main connection runs with `wal_autocheckpoint = 0` while the worker lives.
 *
 * Bounded growth: a checkpoint cannot copy past a reader's snapshot, so a long reader (or a
 * writer faster than the copy) lets the WAL grow. When its content passes `hardBytes` the main
 * connection turns auto-checkpoint back on (commits checkpoint on the event loop, as without this
 * worker) until the content is back under `truncateBytes`, and it says so once in the log. A worker that fails or
 * exits is logged and the main connection goes back to auto-checkpoint for good.
 */
export interface WalCheckpointerOptions {
  intervalMs?: number;
  truncateBytes?: number;
  hardBytes?: number;
  log?: StoreLog;
}

/** The part of the service's logger (pino) a store uses. */
export interface StoreLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** What the worker reports after each checkpoint. */
export interface Tick {
  type: 'tick';
  mode: 'PASSIVE' | 'TRUNCATE' | 'RESTART';
  busy: number;
  log: number;
  checkpointed: number;
  walBytes: number;
  /** Frames in the WAL × page size: what it holds since it last restarted (the file may be larger). */
  contentBytes: number;
  /** PASSIVE passes of the tick (catching up with the writer). */
  passes: number;
}
type WorkerMessage = Tick | { type: 'error'; message: string; code?: string };

const AUTO_CHECKPOINT_PAGES = 1000; // SQLite's default
const DEFAULT_INTERVAL_MS = 1000;
const DEFAULT_TRUNCATE_BYTES = 32 * 1024 * 1024;
const DEFAULT_HARD_BYTES = 128 * 1024 * 1024;
const TRUNCATE_WAIT_MS = 10;
/** A PASSIVE pass this short left little behind it: a TRUNCATE or RESTART may follow (they hold the writer lock). */
const SHORT_PASS_MS = 8;
/** PASSIVE passes per tick at most while they stay long (the writer outruns them). */
const MAX_PASSES = 8;

// Plain JavaScript run by the worker (eval): it must not depend on how this file was compiled.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true, timeout: 0 });
db.pragma('journal_size_limit = ' + workerData.hardBytes);
const pageSize = db.pragma('page_size', { simple: true });
let lastLog = -1;
let timer = null;
let stopped = false;
const walBytes = () => { try { return statSync(workerData.path + '-wal').size; } catch { return 0; } };
function tick() {
  let soon = false;
  try {
    // Catch up with PASSIVE passes (they never block the writer): each copies what the WAL
    // held when it began, so the next one copies only what arrived meanwhile, and their times
    // shrink as long as the copy outruns the writer.
    let r;
    let passes = 0;
    let passMs = 0;
    do {
      const t0 = Date.now();
      r = db.pragma('wal_checkpoint(PASSIVE)')[0];
      passMs = Date.now() - t0;
      passes++;
    } while (passMs > workerData.shortPassMs && passes < workerData.maxPasses);
    let mode = 'PASSIVE';
    // The WAL restarts by itself when the writer begins a transaction with every frame copied,
    // which the passes make the usual case. A checkpoint that takes the writer lock runs only
    // after a short pass (little is left to copy under the lock): TRUNCATE when no one writes
    // (no frame since the last tick: it costs nobody anything, and gives the disk back), and
    // RESTART when the WAL's content has not restarted for long (past forceBytes). Measured at
    // a 10 M-edge baseline with every point a write: a TRUNCATE under steady writes held the
    // event loop ~100-140 ms, every time (a RESTART after a short pass, the landed case, far less often).
    const content = r.log * pageSize;
    const idle = r.log === lastLog && r.checkpointed === r.log;
    lastLog = r.log;
    const lock = idle && walBytes() > workerData.truncateBytes ? 'TRUNCATE' : content > workerData.forceBytes ? 'RESTART' : null;
    if (lock !== null) {
      if (passMs <= workerData.shortPassMs) {
        mode = lock;
        db.pragma('busy_timeout = ' + workerData.truncateWaitMs);
        try {
          r = db.pragma('wal_checkpoint(' + lock + ')')[0];
        } finally {
          db.pragma('busy_timeout = 0');
        }
      } else {
        soon = true; // the writer outran the passes: try again shortly rather than block it
      }
    }
    parentPort.postMessage({ type: 'tick', mode, busy: r.busy, log: r.log, checkpointed: r.checkpointed, walBytes: walBytes(), contentBytes: r.log * pageSize, passes });
  } catch (err) {
    parentPort.postMessage({ type: 'error', message: String((err && err.message) || err), code: err && err.code });
  }
  if (!stopped) timer = setTimeout(tick, soon ? Math.min(workerData.intervalMs, 50) : workerData.intervalMs);
}
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  stopped = true;
  if (timer) clearTimeout(timer);
  db.close();
  parentPort.close();
});
tick();
`;

export class WalCheckpointer {
  private worker: Worker | null;
  private exited: Promise<void>;
  private autoOn = false;
  private stopping = false;
  private readonly truncateBytes: number;
  private readonly hardBytes: number;
  private readonly log: StoreLog;
  /** Checkpoints the worker reported (tests wait for one; not a metric). */
  ticks = 0;
  /** The worker's last checkpoint report (tests: was everything copied back). */
  last: Tick | undefined;

  /** Starts the worker for a file-backed WAL database; null for `:memory:` or another journal mode. */
  static start(path: string, db: Database.Database, opts: WalCheckpointerOptions = {}): WalCheckpointer | null {
    if (path === '' || path === ':memory:' || String(db.pragma('journal_mode', { simple: true })).toLowerCase() !== 'wal') return null;
    return new WalCheckpointer(path, db, opts);
  }

  private constructor(
    private readonly path: string,
    private readonly db: Database.Database,
    opts: WalCheckpointerOptions,
  ) {
    this.truncateBytes = opts.truncateBytes ?? DEFAULT_TRUNCATE_BYTES;
    this.hardBytes = Math.max(this.truncateBytes, opts.hardBytes ?? DEFAULT_HARD_BYTES);
    this.log = opts.log ?? stderrLog;
    db.pragma('wal_autocheckpoint = 0');
    db.pragma(`journal_size_limit = ${this.hardBytes}`);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), path, intervalMs: opts.intervalMs ?? DEFAULT_INTERVAL_MS, truncateBytes: this.truncateBytes, hardBytes: this.hardBytes, truncateWaitMs: TRUNCATE_WAIT_MS, forceBytes: Math.max(this.truncateBytes, this.hardBytes / 2), shortPassMs: SHORT_PASS_MS, maxPasses: MAX_PASSES },
    });
    this.worker = worker;
    // The worker's timer keeps it alive; the process must still be able to exit without close().
    worker.unref();
    worker.on('message', (m: WorkerMessage) => this.onMessage(m));
    worker.on('error', (err) => {
      if (!this.stopping) this.log.error({ err: err.message, path }, 'sqlite WAL checkpointer failed; back to checkpoints on commit');
    });
    this.exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        this.worker = null;
        if (!this.stopping) {
          this.log.error({ code, path }, 'sqlite WAL checkpointer exited; back to checkpoints on commit');
          this.setAuto(true);
        }
        resolve();
      }),
    );
  }

  get alive(): boolean {
    return this.worker !== null;
  }

  /** The worker's thread id while it runs (tests); null once it exited. */
  get threadId(): number | null {
    return this.worker?.threadId ?? null;
  }

  /** Ends the worker as if it had crashed (tests: the store must keep working on auto-checkpoint). */
  async kill(): Promise<void> {
    await this.worker?.terminate();
    await this.exited;
  }

  /** Stops the worker (its connection closes first); before the main connection closes. */
  async stop(): Promise<void> {
    if (this.worker === null) return;
    this.stopping = true;
    const w = this.worker;
    w.postMessage('stop');
    const timer = setTimeout(() => void w.terminate(), 2000);
    await this.exited;
    clearTimeout(timer);
  }

  private onMessage(m: WorkerMessage): void {
    if (m.type === 'error') {
      // SQLITE_BUSY: someone held a lock at the tick; the next tick tries again.
      if (m.code !== 'SQLITE_BUSY' && m.code !== 'SQLITE_LOCKED') this.log.warn({ err: m.message, code: m.code, path: this.path }, 'sqlite WAL checkpoint failed');
      return;
    }
    this.ticks++;
    this.last = m;
    if (m.contentBytes > this.hardBytes && !this.autoOn) {
      this.log.warn({ walBytes: m.contentBytes, limit: this.hardBytes, path: this.path }, 'sqlite WAL checkpoints fall behind (a long reader?); checkpointing on commit until the WAL is back under the limit');
      this.setAuto(true);
    } else if (m.contentBytes <= this.truncateBytes && this.autoOn) {
      this.setAuto(false);
    }
  }

  private setAuto(on: boolean): void {
    if (!this.db.open || (!on && this.worker === null)) return;
    this.autoOn = on;
    this.db.pragma(`wal_autocheckpoint = ${on ? AUTO_CHECKPOINT_PAGES : 0}`);
  }
}

/** Without the service's logger (CLI, tests): one JSON line on stderr. */
export const stderrLog: StoreLog = {
  warn: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg, ...obj })}\n`),
  error: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'error', msg, ...obj })}\n`),
};

/** Size of the WAL file of `path` in bytes (0 when there is none). */
export function walBytes(path: string): number {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
}
