/**
 * A real SIGHUP to the built service re-reads rules_file: new rules apply to the next points, a
 * bad file is rejected with the rules in force kept, and the process keeps running (Node's
 * default for SIGHUP would be to exit).
 *
 * The watched path is a symlink into another directory and polling is off, so writing the
 * target makes no file-system event in the watched directory: only the signal can reload.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { reducerRequest } from '../../helpers/otlp-fixtures';
import { aligned, getJson, tempDir } from '../../helpers/service-harness';
import { ensureBuilt, logLines, startChild, type ChildService } from '../../helpers/child-service';

const EXPORT_PATH = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

let tmp: ReturnType<typeof tempDir>;
let target: string;
let ew: ChildService;
let client: grpc.Client;

// Compiling dist/ (when sources changed) gets its own budget, not the hook's 30 s.
beforeAll(() => ensureBuilt(), 120_000);

beforeAll(async () => {
  tmp = tempDir('ew-sighup-');
  mkdirSync(join(tmp.dir, 'watched'));
  mkdirSync(join(tmp.dir, 'real'));
  target = join(tmp.dir, 'real', 'rules.yaml');
  writeFileSync(target, '- source: prometheus\n');
  const rulesFile = join(tmp.dir, 'watched', 'rules.yaml');
  symlinkSync(target, rulesFile);
  ew = await startChild({ env: { EDGEWATCH_STORE: 'memory:', EDGEWATCH_RULES_FILE: rulesFile, EDGEWATCH_RULES_POLL_INTERVAL: '0' } });
  client = new grpc.Client(`127.0.0.1:${ew.ports.grpc}`, grpc.credentials.createInsecure());
}, 60_000);

afterAll(async () => {
  client?.close();
  await ew?.stop(); // a no-op when the test stopped it
  tmp?.cleanup();
});

function send(src: string): Promise<void> {
  const body = reducerRequest({ cluster: 'prod-eu', edges: [{ src, dst: 'db' }], names: ['tcp.packets'], metricsPerRequest: 1, timeMs: aligned(Date.now()) }).protobuf;
  const id = (b: Buffer): Buffer => b;
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(EXPORT_PATH, id, id, body, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, (err) => (err ? reject(err) : resolve())),
  );
}

/** Alerts are in the outbox once the Export call returned. */
async function alerted(src: string): Promise<boolean> {
  const { json } = await getJson<{ alerts: Array<{ source: { workload: string } }> }>(ew.ports.admin, '/api/v1/alerts?limit=1000');
  return json.alerts.some((a) => a.source.workload === src);
}

/** Waits for the `n`-th log line with this msg. */
async function nthLog(msg: string, n: number, timeoutMs = 10_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (logLines(ew.logs, msg).length < n) {
    if (ew.proc.exitCode !== null || ew.proc.signalCode !== null) throw new Error(`edgewatch exited before logging "${msg}":\n${ew.logs.slice(-20).join('\n')}`);
    if (Date.now() > deadline) throw new Error(`edgewatch did not log "${msg}":\n${ew.logs.slice(-20).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return logLines(ew.logs, msg)[n - 1];
}

test('SIGHUP reloads the rules file: new rules apply at once; a bad file is rejected and the rules in force stay', async () => {
  writeFileSync(target, '- source: prometheus\n- source: "batch-*"\n');
  await send('batch-1');
  expect(await alerted('batch-1')).toBe(true); // written but not reloaded: the old rules are in force

  ew.proc.kill('SIGHUP');
  expect(await nthLog('filter rules reloaded', 1)).toMatchObject({ reason: 'SIGHUP', rules: 2 });
  await send('batch-2');
  await send('intruder');
  expect(await alerted('batch-2')).toBe(false);
  expect(await alerted('intruder')).toBe(true);

  writeFileSync(target, '- dest: "/(/"\n');
  ew.proc.kill('SIGHUP');
  expect(await nthLog('filter rules file rejected; the previous rules stay in force', 1)).toMatchObject({ reason: 'SIGHUP', rulesInForce: 2 });
  await send('batch-3');
  expect(await alerted('batch-3')).toBe(false);

  // Still running after both signals, and it stops cleanly.
  expect(ew.proc.exitCode).toBeNull();
  expect(await ew.stop()).toEqual({ code: 0, signal: null });
});
