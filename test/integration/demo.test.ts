/**
 * `npm run demo` (deploy/compose/demo.js) as a new user runs it: the built service on an
 * in-memory store with learning_period 0 for the run, and the demo traffic (the real
 * OpenTelemetry SDK) against it. The new edge of the traffic's first export becomes an alert in
 * the API and a `new edge` line in the log. Ports come from DEMO_*_PORT so it runs beside others.
 */
import { join } from 'node:path';
import type { Alert } from '../../src/core/alert';
import { ensureBuilt, freePort, logLines, ROOT, startChild, type ChildService } from '../helpers/child-service';
import { getJson } from '../helpers/service-harness';

jest.setTimeout(60_000);

let demo: ChildService | undefined;

beforeAll(() => ensureBuilt(), 60_000);
afterAll(async () => {
  await demo?.stop();
});

test('the demo\'s first export raises an alert, in the API and in the log', async () => {
  const ports = { grpc: await freePort(), http: await freePort(), admin: await freePort() };
  demo = await startChild({
    argv: [join(ROOT, 'deploy/compose/demo.js')],
    ports,
    env: { DEMO_ADMIN_PORT: String(ports.admin), DEMO_GRPC_PORT: String(ports.grpc), DEMO_HTTP_PORT: String(ports.http) },
    startTimeoutMs: 30_000,
  });
  const logs = demo.logs;
  // The traffic's first round (sent by its first export) names its new edge: batch-job-… → (internet).
  const announced = async (): Promise<{ source: string; dest: string } | null> => {
    const line = logs.find((l) => l.startsWith('demo-traffic: new edge '));
    const m = line === undefined ? null : /^demo-traffic: new edge (\S+) -> (.+)$/.exec(line);
    return m === null ? null : { source: m[1], dest: m[2] };
  };
  let first: { source: string; dest: string } | null = null;
  let alert: Alert | undefined;
  const end = Date.now() + 45_000;
  while (alert === undefined && Date.now() < end) {
    first ??= await announced();
    if (first !== null) {
      const { json } = await getJson<{ alerts: Alert[] }>(ports.admin, '/api/v1/alerts?cluster=demo');
      alert = json.alerts.find((a) => a.source.workload === first?.source);
    }
    if (alert === undefined) await new Promise((r) => setTimeout(r, 250));
  }
  expect(first).toEqual({ source: expect.stringMatching(/^batch-job-/) as unknown as string, dest: '(internet)' });
  expect(alert).toMatchObject({ cluster: 'demo', rule: 'kubernetes_newly_seen_tcp_edge', source: { workload: first?.source, namespace: 'jobs' }, dest: { workload: '(internet)' } });
  // No sink configured: the log sink writes the same alert as a `new edge` line.
  const lineEnd = Date.now() + 10_000;
  while (!logLines(logs, 'new edge').some((l) => (l.alert as Alert | undefined)?.id === alert?.id) && Date.now() < lineEnd) await new Promise((r) => setTimeout(r, 100));
  expect(logLines(logs, 'new edge').map((l) => (l.alert as Alert).id)).toContain(alert?.id);
  // The demo says where to look.
  expect(logs.some((l) => l.includes(`Open http://localhost:${ports.admin}/?cluster=demo`))).toBe(true);
});
