import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { alertId } from '../../src/core/edge';
import { StoreUnavailableError } from '../../src/core/errors';
import { SCHEMA_VERSION } from '../../src/store/sqlite/schema';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import type { ObserveOutcome } from '../../src/store/store';
import { key, sighting, SINKS, storeConformance, T0, W } from '../conformance/store-conformance';

jest.setTimeout(30_000);

/** A fresh directory per test; the database lives in a subfolder the store must create. */
function tempDb(): { dir: string; path: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'edgewatch-sqlite-'));
  return { dir, path: join(dir, 'nested', 'data', 'edgewatch.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

storeConformance('sqlite', async () => {
  const tmp = tempDb();
  const store = new SqliteStore(tmp.path);
  return {
    store,
    cleanup: async () => {
      await store.close();
      tmp.cleanup();
    },
  };
});

describe('SqliteStore specifics', () => {
  let tmp: ReturnType<typeof tempDb>;
  const open: SqliteStore[] = [];
  const openStore = async (path = tmp.path, busyTimeoutMs?: number): Promise<SqliteStore> => {
    const s = new SqliteStore(path, { busyTimeoutMs });
    open.push(s);
    await s.init(SINKS);
    return s;
  };
  beforeEach(() => {
    tmp = tempDb();
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    tmp.cleanup();
  });

  it('creates the schema in WAL mode at the current version', async () => {
    await openStore();
    const raw = new Database(tmp.path, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const tables = raw.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
      // Each migration adds its tables (features add theirs to this list).
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['alerts', 'deliveries', 'edges', 'forgets', 'scopes', 'sinks']));
    } finally {
      raw.close();
    }
  });

  it('migrates an empty existing file', async () => {
    const path = join(tmp.dir, 'empty.db');
    writeFileSync(path, '');
    const store = await openStore(path);
    expect((await store.observe([sighting(key('a', 'b'), T0)], W))[0].isNew).toBe(true);
    await store.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
  });

  it('v9: a held-back edge keeps its decision in its row, and forget moves it (v8 decisions still count)', async () => {
    const policy = { maxPerWindow: 1, windowMs: 3_600_000 };
    const [a, b, old] = [key('held-a', 'db'), key('held-b', 'db'), key('from-v8', 'db')];
    let store = await openStore();
    const outs = await store.observe([sighting(a, T0), sighting(b, T0)], W, policy);
    expect(outs.map((o) => o.heldBack === true)).toEqual([false, true]);
    await store.close();
    const raw = new Database(tmp.path);
    // No decision row of its own; the edge row carries the id.
    expect(raw.prepare('SELECT count(*) AS n FROM storm_decisions').get()).toEqual({ n: 0 });
    expect(raw.prepare('SELECT held_alert FROM edges WHERE source = ?').get('held-b')).toEqual({ held_alert: alertId(b, T0) });
    // A decision as v8 recorded it (its own row), for an edge that is not in the baseline.
    raw.prepare('INSERT INTO storm_decisions (alert_id, window_end) VALUES (?, ?)').run(alertId(old, T0), T0 + W);
    raw.close();
    store = await openStore();
    expect(await store.forgetEdge(b)).toBe(true);
    for (const k of [b, old]) expect((await store.observe([sighting(k, T0)], W, policy))[0]).toEqual({ isNew: true, previousSeenMs: null, lastSeenMs: T0, alerted: false });
  });

  it('refuses a database from a newer schema version', async () => {
    const raw = new Database(join(tmp.dir, 'future.db'));
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    await expect(openStore(join(tmp.dir, 'future.db'))).rejects.toThrow(StoreUnavailableError);
    await expect(openStore(join(tmp.dir, 'future.db'))).rejects.toThrow(/newer than/);
  });

  it('keeps edges, scopes, pending alerts and leases across close and reopen', async () => {
    const k = key('frontend', 'payments');
    let store = await openStore();
    await store.observe([sighting(k, T0, T0 + 60_000), sighting(key('x', 'y'), T0)], W);
    await store.touchScope('prod-eu', T0);
    const [leased] = await store.claimAlerts(SINKS[0], 'c1', 1, 60_000);
    await store.retryAlert(SINKS[1], alertId(k, T0), Date.now() - 1, 'HTTP 503');
    await store.close();

    store = await openStore();
    expect(await store.countEdges()).toBe(2);
    expect((await store.observe([sighting(k, T0 + 120_000)], W))[0]).toMatchObject({ isNew: false, previousSeenMs: T0 + 60_000 });
    expect(await store.touchScope('prod-eu', T0 + 1)).toBe(T0);
    const rest = await store.claimAlerts(SINKS[0], 'c2', 10, 60_000);
    expect(rest.map((e) => e.alertId)).not.toContain(leased.alertId); // the lease survived
    expect(rest).toHaveLength(1);
    const retried = await store.claimAlerts(SINKS[1], 'c2', 10, 60_000);
    expect(retried.find((e) => e.alertId === alertId(k, T0))?.attempts).toBe(1);
    expect(await store.outboxStats()).toEqual({ pending: { [SINKS[0]]: 2, [SINKS[1]]: 2 }, failed: { [SINKS[0]]: 0, [SINKS[1]]: 0 } });
  });

  it('two connections on one file decide a new edge once', async () => {
    const [a, b] = [await openStore(), await openStore()];
    const k = key('frontend', 'payments');
    const outs = await Promise.all([a.observe([sighting(k, T0)], W), b.observe([sighting(k, T0 + 30_000)], W)]);
    expect(outs.flat().filter((o) => o.isNew)).toHaveLength(1);
    expect(await b.listAlerts(10)).toHaveLength(1);
    expect((await a.listEdges({ limit: 10 }))[0].lastSeenMs).toBe(T0 + 30_000);
    await a.observe([sighting(key('b', 'x'), T0), sighting(key('c', 'x'), T0)], W);
    const claims = await Promise.all([a.claimAlerts(SINKS[0], 'pa', 2, 60_000), b.claimAlerts(SINKS[0], 'pb', 2, 60_000)]);
    const ids = claims.flat().map((e) => e.alertId);
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3); // each entry leased to one process only
  });

  it('worker threads racing on one file: every new edge is decided and alerted exactly once', async () => {
    const store = await openStore(); // creates the schema before the race
    const workers = 4;
    const edges = 150;
    const results = await race(tmp.path, workers, edges);
    for (let e = 0; e < edges; e++) {
      const outcomes = results.map((r) => r[e]);
      expect(outcomes.filter((o) => o.isNew)).toHaveLength(1);
      expect(outcomes.filter((o) => o.alerted)).toHaveLength(1);
    }
    expect(await store.countEdges()).toBe(edges);
    expect(await store.outboxStats()).toEqual({ pending: { [SINKS[0]]: edges, [SINKS[1]]: edges }, failed: { [SINKS[0]]: 0, [SINKS[1]]: 0 } });
  });

  it('a path it cannot create is StoreUnavailableError from init', async () => {
    writeFileSync(join(tmp.dir, 'a-file'), 'x');
    await expect(openStore(join(tmp.dir, 'a-file', 'sub', 'e.db'))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('a file that is not a database is StoreUnavailableError', async () => {
    const path = join(tmp.dir, 'garbage.db');
    writeFileSync(path, Buffer.alloc(8192, 7));
    await expect(openStore(path)).rejects.toThrow(StoreUnavailableError);
  });

  it('a lock held too long by another connection (SQLITE_BUSY) is StoreUnavailableError, and recovers', async () => {
    const store = await openStore(tmp.path, 50);
    const other = new Database(tmp.path);
    other.exec('BEGIN IMMEDIATE');
    try {
      await expect(store.observe([sighting(key('a', 'b'), T0)], W)).rejects.toThrow(/SQLITE_BUSY/);
      await expect(store.refresh([{ key: key('a', 'b'), lastMs: T0 }])).rejects.toBeInstanceOf(StoreUnavailableError);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect((await store.observe([sighting(key('a', 'b'), T0)], W))[0].isNew).toBe(true);
  });

  it('calls before init and after close are StoreUnavailableError', async () => {
    const fresh = new SqliteStore(tmp.path);
    await expect(fresh.countEdges()).rejects.toBeInstanceOf(StoreUnavailableError);
    const store = await openStore();
    await store.close();
    await expect(store.claimAlerts(SINKS[0], 'c', 1, 1000)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.listAlerts(1)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

/**
 * Runs `workers` threads, each with its own SqliteStore on `path`, released together by a shared
 * flag, each observing the same `edges` new edges one call at a time in its own shuffled order.
 * The worker loads the TypeScript sources through a transpile-on-require hook.
 */
async function race(path: string, workers: number, edges: number): Promise<ObserveOutcome[][]> {
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const started = Array.from({ length: workers }, (_, i) => {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path, edges, seed: i + 1, gate, root: join(__dirname, '../..'), sinks: SINKS, t0: T0, window: W },
    });
    const ready = new Promise<void>((resolve, reject) => {
      w.once('message', () => resolve());
      w.once('error', reject);
    });
    const done = new Promise<ObserveOutcome[]>((resolve, reject) => {
      w.on('message', (m: { outcomes?: ObserveOutcome[] }) => m.outcomes && resolve(m.outcomes));
      w.once('error', reject);
    });
    return { ready, done };
  });
  await Promise.all(started.map((s) => s.ready));
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
  return Promise.all(started.map((s) => s.done));
}

const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const Module = require('node:module');
const ts = require(require.resolve('typescript', { paths: [workerData.root] }));
Module._extensions['.ts'] = (module, filename) => {
  const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    fileName: filename,
  });
  module._compile(out.outputText, filename);
};
const { SqliteStore } = require(workerData.root + '/src/store/sqlite/sqlite-store.ts');
const { alertId } = require(workerData.root + '/src/core/edge.ts');
(async () => {
  const store = new SqliteStore(workerData.path);
  await store.init(workerData.sinks);
  let x = workerData.seed;
  const order = Array.from({ length: workerData.edges }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const j = x % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  parentPort.postMessage('ready');
  Atomics.wait(workerData.gate, 0, 0);
  const outcomes = new Array(workerData.edges);
  for (const e of order) {
    const key = { scope: 'race', protocol: 'tcp', source: 'src-' + e, dest: 'dst' };
    const firstMs = workerData.t0 + workerData.seed * 30000;
    const alert = { id: alertId(key, firstMs), rule: 'kubernetes_newly_seen_tcp_edge', title: 't', cluster: 'race', protocol: 'tcp',
      source: { workload: key.source, namespace: null }, dest: { workload: 'dst', namespace: null },
      first_seen: new Date(firstMs).toISOString(), detected_at: new Date().toISOString(), risk_score: 25, impact: 50,
      confidence: 50, mitre_attack: ['T1204'], baseline_window_s: 2592000, detection_window_s: 3600, attributes: {} };
    outcomes[e] = (await store.observe([{ key, firstMs, lastMs: firstMs, alert }], workerData.window))[0];
  }
  await store.close();
  parentPort.postMessage({ outcomes });
})().catch((err) => { throw err; });
`;
