/**
 * The learning period said in the log (issue 13, "see it work in a minute"): one line when a
 * cluster enters it, naming the time it ends and the setting; one when it leaves it, after which
 * its new edges alert. A cluster still learning when a process starts gets the "leaves" line too.
 */
import { status } from '@grpc/grpc-js';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import type { Alert } from '../../src/core/alert';
import { createLogger } from '../../src/telemetry/logger';
import { reducerRequest, type FixtureEdge } from '../helpers/otlp-fixtures';
import { closeGrpcClients, getJson, grpcExport, startService, tempDir, type Running } from '../helpers/service-harness';

jest.setTimeout(30_000);

const LEARNING_MS = 3000;

type Line = Record<string, unknown> & { msg: string };

function captured(): { lines: Line[]; logger: ReturnType<typeof createLogger> } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Line);
      cb();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

async function send(ew: Running, cluster: string, edges: FixtureEdge[]): Promise<void> {
  // Point times are now, not a 30 s slot: the learning period runs from the first point.
  const body = reducerRequest({ cluster, edges, names: ['tcp.packets'], metricsPerRequest: edges.length, timeMs: Date.now() }).protobuf;
  expect((await grpcExport(ew.ports.grpc, body)).code).toBe(status.OK);
}

async function lineMatching(lines: Line[], re: RegExp, timeoutMs = 15_000): Promise<Line> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const hit = lines.find((l) => re.test(l.msg));
    if (hit !== undefined) return hit;
    if (Date.now() > end) throw new Error(`no log line matching ${re} in:\n${lines.map((l) => l.msg).join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alerts = async (ew: Running): Promise<Alert[]> => (await getJson<{ alerts: Alert[] }>(ew.ports.admin, '/api/v1/alerts')).json.alerts;

afterAll(() => closeGrpcClients());

test('a new cluster: "entered" with its end and the setting, then "left", then its new edges alert', async () => {
  const log = captured();
  const ew = await startService({ store: 'memory:', learningPeriodMs: LEARNING_MS }, { logger: log.logger });
  try {
    const before = Date.now();
    await send(ew, 'learn-a', [{ src: 'web', dst: 'db' }]);
    const entered = await lineMatching(log.lines, /^cluster learn-a entered its learning period/);
    expect(entered.msg).toContain('learning_period 3s after its first point');
    expect(entered.msg).toContain('the learning_period setting changes it');
    expect(entered).toMatchObject({ cluster: 'learn-a', setting: 'learning_period', learningPeriod: '3s' });
    const until = Date.parse(String(entered.learningUntil));
    expect(until - Date.parse(String(entered.firstPoint))).toBe(LEARNING_MS);
    expect(until).toBeGreaterThanOrEqual(before + LEARNING_MS - 1000);
    expect(entered.msg).toContain(String(entered.learningUntil));

    // More points of the same cluster say nothing more.
    await send(ew, 'learn-a', [{ src: 'web', dst: 'cache' }]);
    expect(await alerts(ew)).toEqual([]);

    const left = await lineMatching(log.lines, /^cluster learn-a left its learning period/);
    expect(left.msg).toContain('new edges of learn-a now alert');
    expect(left.cluster).toBe('learn-a');
    expect(Date.now()).toBeGreaterThanOrEqual(until);
    expect(log.lines.filter((l) => /learn-a entered/.test(l.msg))).toHaveLength(1);

    await send(ew, 'learn-a', [{ src: 'web', dst: 'queue' }]);
    const end = Date.now() + 10_000;
    while ((await alerts(ew)).length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect((await alerts(ew)).map((a) => a.dest.workload)).toEqual(['queue']);
  } finally {
    await ew.stop();
  }
});

test('a cluster still learning at a start gets the "left" line from the new process', async () => {
  const { dir, cleanup } = tempDir('ew-learning-');
  const store = `sqlite:${join(dir, 'ew.db')}`;
  try {
    const first = captured();
    const a = await startService({ store, learningPeriodMs: LEARNING_MS }, { logger: first.logger });
    await send(a, 'learn-b', [{ src: 'api', dst: 'db' }]);
    await lineMatching(first.lines, /^cluster learn-b entered/);
    await a.stop();
    expect(first.lines.some((l) => /learn-b left/.test(l.msg))).toBe(false);

    const second = captured();
    const b = await startService({ store, learningPeriodMs: LEARNING_MS }, { logger: second.logger });
    try {
      const resumed = await lineMatching(second.lines, /^cluster learn-b is in its learning period until/);
      expect(resumed.msg).toContain('set learning_period to change it');
      const left = await lineMatching(second.lines, /^cluster learn-b left its learning period: new edges of learn-b now alert/);
      expect(left.learningUntil).toBe(resumed.learningUntil);
      expect(second.lines.some((l) => /entered/.test(l.msg))).toBe(false);
    } finally {
      await b.stop();
    }
  } finally {
    cleanup();
  }
});

test('learning_period 0 logs neither line', async () => {
  const log = captured();
  const ew = await startService({ store: 'memory:', learningPeriodMs: 0 }, { logger: log.logger });
  try {
    await send(ew, 'learn-c', [{ src: 'x', dst: 'y' }]);
    const end = Date.now() + 5000;
    while ((await alerts(ew)).length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect((await alerts(ew)).length).toBe(1);
    expect(log.lines.some((l) => /learning period/.test(l.msg))).toBe(false);
  } finally {
    await ew.stop();
  }
});
