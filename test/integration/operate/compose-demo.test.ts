/**
 * The compose demo's traffic generator (deploy/compose/demo-traffic.js, the real OpenTelemetry
 * SDK and OTLP/gRPC exporter) sent straight to the built service, with the bearer token the
 * collector would add: its new edge becomes an alert. Compose itself needs an engine; this is
 * the part of "docker compose up shows alerts" that runs here.
 */
import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { ensureBuilt, ROOT, startChild } from '../../helpers/child-service';

const TOKEN = 'demo-token';

function run(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(ROOT, 'deploy/compose/demo-traffic.js')], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

function alerts(port: number): Promise<Array<{ cluster: string; source: { workload: string }; dest: { workload: string } }>> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/api/v1/alerts?limit=1000' }, (res) => {
      let s = '';
      res.on('data', (c: Buffer) => (s += c.toString()));
      res.on('end', () => resolve((JSON.parse(s) as { alerts: [] }).alerts));
    })
      .on('error', reject)
      .end();
  });
}

beforeAll(() => ensureBuilt(), 60_000);

test('demo-traffic → edgewatch: its new edge raises an alert; without the token nothing gets in', async () => {
  const ew = await startChild({ env: { EDGEWATCH_STORE: 'memory:', EDGEWATCH_AUTH_TOKEN: TOKEN } });
  try {
    const base = { OTLP_ENDPOINT: `http://127.0.0.1:${ew.ports.grpc}`, DEMO_ONCE: '1', DEMO_CLUSTER: 'compose-demo' };
    const refused = await run(base);
    expect((await alerts(ew.ports.admin)).length).toBe(0);
    expect(refused.code).toBe(0); // the SDK logs export failures but does not crash the producer

    const sent = await run({ ...base, OTEL_EXPORTER_OTLP_HEADERS: `authorization=Bearer ${TOKEN}` });
    expect(sent.code).toBe(0);
    const edge = JSON.parse(sent.stdout.trim()) as { source: string; dest: string };
    const found = (await alerts(ew.ports.admin)).filter((a) => a.source.workload === edge.source);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ cluster: 'compose-demo', dest: { workload: edge.dest } });
  } finally {
    expect((await ew.stop()).code).toBe(0);
  }
});
