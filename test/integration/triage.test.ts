/**
 * The alert lifecycle end to end (issue 12 item 3): ack and expect through the admin API, states
 * and stored rules shared by two replicas on one real Redis, a stored rule applied by the other
 * replica within its poll and counted under its id, and the same on SQLite across a restart and
 * from the CLI on the service's own file.
 */
import { status } from '@grpc/grpc-js';
import { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AlertJson, RuleJson } from '../../src/admin/alerts-api';
import { addAlertsCommand } from '../../src/cli/alerts';
import { addRulesCommand } from '../../src/cli/rules';
import { createLogger } from '../../src/telemetry/logger';
import { reducerRequest, type FixtureEdge } from '../helpers/otlp-fixtures';
import { startRedis, type RedisServer } from '../helpers/redis-server';
import { aligned, closeGrpcClients, grpcExport, httpRequest, startService, tempDir, type Running } from '../helpers/service-harness';

jest.setTimeout(30_000);

const MIN = 60_000;
const CLUSTER = 'prod-eu';
let redis: RedisServer;
const running: Running[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  closeGrpcClients();
});
afterAll(async () => {
  await redis?.dispose();
});

/** Points `minutesAgo` back (distinct per appearance: a new first_seen is a new alert id). */
async function send(ew: Running, edges: FixtureEdge[], minutesAgo: number): Promise<void> {
  const body = reducerRequest({ cluster: CLUSTER, edges, names: ['tcp.packets', 'udp.packets'], metricsPerRequest: edges.length, timeMs: aligned(Date.now() - minutesAgo * MIN) }).protobuf;
  expect((await grpcExport(ew.ports.grpc, body)).code).toBe(status.OK);
}

async function api<T>(ew: Running, method: string, path: string, body?: unknown, user?: string): Promise<{ status: number; json: T }> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (user !== undefined) headers['X-Edgewatch-User'] = user;
  const r = await httpRequest(ew.ports.admin, method, path, body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), headers);
  return { status: r.status, json: JSON.parse(r.body.toString('utf8')) as T };
}

const alerts = async (ew: Running, query = ''): Promise<AlertJson[]> => (await api<{ alerts: AlertJson[] }>(ew, 'GET', `/api/v1/alerts${query}`)).json.alerts;
const alertsFrom = async (ew: Running, source: string): Promise<AlertJson[]> => (await alerts(ew)).filter((a) => a.source.workload === source);

async function metric(ew: Running, line: string): Promise<number | null> {
  const text = (await httpRequest(ew.ports.admin, 'GET', '/metrics')).body.toString('utf8');
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? null : Number(found.slice(line.length + 1));
}

/** Polls until `check` holds (a positive signal, never a time bound on the service). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Forget through each replica's API: the store forgets it, each replica's cache too. */
async function forget(replicas: Running[], source: string, dest: string): Promise<void> {
  for (const ew of replicas) {
    const r = await api<unknown>(ew, 'DELETE', `/api/v1/edges?cluster=${CLUSTER}&source=${source}&dest=${dest}&protocol=tcp`);
    expect([200, 404]).toContain(r.status);
  }
  await until('the edge to leave the baseline', async () => !(await replicas[0].svc.store.listEdges({ limit: 1000 })).some((e) => e.key.source === source && e.key.dest === dest));
}

test('two replicas on one Redis: ack seen by B; expect on A is a rule B applies and counts under its id; DELETE it and the edge alerts again', async () => {
  const cfg = { store: redis.url, redisKeyPrefix: `tr${randomBytes(4).toString('hex')}` };
  const a = await startService(cfg);
  const b = await startService(cfg);
  running.push(a, b);

  await send(a, [{ src: 'frontend', dst: 'payments' }, { src: 'batch', dst: 'db' }], 20);
  await until('both alerts', async () => (await alerts(b)).length === 2);
  const [front] = await alertsFrom(b, 'frontend');
  const [batch] = await alertsFrom(b, 'batch');
  expect(front).toMatchObject({ state: 'open', triage: null });

  // ack on A, seen from B
  const acked = await api<{ alert: AlertJson; before: unknown; rule: unknown }>(a, 'POST', `/api/v1/alerts/${front.id}/ack`, { comment: 'looking' }, 'alice');
  expect(acked.status).toBe(200);
  expect(acked.json).toMatchObject({ alert: { id: front.id, state: 'acknowledged', triage: { state: 'acknowledged', by: 'alice', comment: 'looking', expires: null, rule: null } }, before: null, rule: null });
  expect((await alerts(b, '?state=acknowledged')).map((x) => x.id)).toEqual([front.id]);
  expect((await alerts(b, '?state=open')).map((x) => x.id)).toEqual([batch.id]);
  expect((await api<AlertJson>(b, 'GET', `/api/v1/alerts/${front.id}`)).json).toMatchObject({ state: 'acknowledged', triage: { by: 'alice' } });

  // expect on A: state and a stored rule, listed on B with its origin
  const expected = await api<{ alert: AlertJson; rule: RuleJson }>(a, 'POST', `/api/v1/alerts/${batch.id}/expect`, { comment: 'nightly batch' }, 'bob');
  expect(expected.status).toBe(200);
  const ruleId = expected.json.rule.id;
  expect(expected.json.alert).toMatchObject({ state: 'expected', triage: { by: 'bob', rule: ruleId } });
  const listed = await api<{ rules: RuleJson[] }>(b, 'GET', '/api/v1/rules');
  expect(listed.json.rules).toEqual([
    {
      id: ruleId,
      match: { cluster: CLUSTER, protocol: 'tcp', source: 'batch', dest: 'db' },
      comment: 'nightly batch',
      expires: null,
      expired: false,
      origin: { type: 'store', alert: batch.id, by: 'bob', at: expect.any(String) },
    },
  ]);
  await until('B to apply the stored rule', async () => (await metric(b, 'edgewatch_stored_rules{state="active"}')) === 1);

  // forgotten, then sent again to B: no alert, counted under the stored rule's id on B
  await forget([a, b], 'batch', 'db');
  await send(b, [{ src: 'batch', dst: 'db' }], 10);
  await until('the edge back in the baseline', async () => (await b.svc.store.listEdges({ limit: 1000 })).some((e) => e.key.source === 'batch'));
  expect(await metric(b, `edgewatch_alerts_filtered_total{rule="${ruleId}"}`)).toBe(1);
  expect(await alertsFrom(b, 'batch')).toHaveLength(1);

  // DELETE the rule on B; once A dropped it, the next reappearance (on A) alerts
  expect((await api<unknown>(b, 'DELETE', `/api/v1/rules/${ruleId}`, undefined, 'carol')).status).toBe(200);
  expect((await api<{ rules: RuleJson[] }>(a, 'GET', '/api/v1/rules')).json.rules).toEqual([]);
  await until('A to drop the stored rule', async () => (await metric(a, 'edgewatch_stored_rules{state="active"}')) === 0);
  await forget([a, b], 'batch', 'db');
  await send(a, [{ src: 'batch', dst: 'db' }], 5);
  await until('a new alert for batch → db', async () => (await alertsFrom(b, 'batch')).length === 2);
  expect((await alertsFrom(b, 'batch'))[0]).toMatchObject({ state: 'open', triage: null });
  expect(await metric(a, 'edgewatch_alert_state_changes_total{to="acknowledged"}')).toBe(1);
  expect(await metric(a, 'edgewatch_alert_state_changes_total{to="expected"}')).toBe(1);
  expect(await metric(b, 'edgewatch_stored_rule_changes_total{change="deleted"}')).toBe(1);
});

test('404 for unknown alerts and rules, 400 naming the field, 405 for a wrong method, 401 without the admin token; rules_file listed beside', async () => {
  const tmp = tempDir('ew-triage-rules-');
  const rulesFile = join(tmp.dir, 'rules.yaml');
  writeFileSync(rulesFile, '- name: scrapes\n  comment: Prometheus\n  source: prometheus\n');
  const ew = await startService({ store: 'memory:', adminToken: 's3cret', rulesFile, rulesPollIntervalMs: 0 });
  running.push(ew);
  const auth = { Authorization: 'Bearer s3cret', 'Content-Type': 'application/json' };
  const call = async (method: string, path: string, body?: string, headers: Record<string, string> = auth): Promise<{ status: number; error: string }> => {
    const r = await httpRequest(ew.ports.admin, method, path, body, headers);
    return { status: r.status, error: (JSON.parse(r.body.toString('utf8')) as { error?: string }).error ?? '' };
  };
  expect((await call('POST', '/api/v1/alerts/nope/ack', '{}', {})).status).toBe(401);
  expect((await call('DELETE', '/api/v1/rules/nope', undefined, {})).status).toBe(401);
  expect((await call('GET', '/api/v1/rules', undefined, {})).status).toBe(401);
  expect(await call('POST', '/api/v1/alerts/nope/ack', '{}')).toEqual({ status: 404, error: 'no alert nope' });
  expect((await call('POST', '/api/v1/alerts/nope/expect')).status).toBe(404);
  expect((await call('GET', '/api/v1/alerts/nope')).status).toBe(404);
  expect(await call('DELETE', '/api/v1/rules/nope')).toEqual({ status: 404, error: 'no stored rule nope' });
  expect((await call('GET', '/api/v1/alerts/nope/ack')).status).toBe(405);
  const rules = await httpRequest(ew.ports.admin, 'GET', '/api/v1/rules', undefined, auth);
  expect(JSON.parse(rules.body.toString('utf8'))).toEqual({
    rules: [{ id: 'scrapes', comment: 'Prometheus', expires: null, expired: false, origin: { type: 'file', path: rulesFile } }],
  });
  expect((await call('DELETE', '/api/v1/rules/scrapes')).status).toBe(409);

  await send(ew, [{ src: 'frontend', dst: 'payments' }], 5);
  let id = '';
  await until('the alert', async () => {
    const r = await httpRequest(ew.ports.admin, 'GET', '/api/v1/alerts', undefined, auth);
    id = (JSON.parse(r.body.toString('utf8')) as { alerts: AlertJson[] }).alerts[0]?.id ?? '';
    return id !== '';
  });
  expect(await call('POST', `/api/v1/alerts/${id}/ack`, '{"comment": 1}')).toEqual({ status: 400, error: 'comment: expected a string, given 1' });
  expect((await call('POST', `/api/v1/alerts/${id}/ack`, '{"scope":"edge"}')).error).toMatch(/^scope: unknown field/);
  expect((await call('POST', `/api/v1/alerts/${id}/expect`, '{"expires":"soon"}')).error).toMatch(/^expires: /);
  expect((await call('POST', `/api/v1/alerts/${id}/expect`, '{"scope":"everything"}')).error).toMatch(/^scope: /);
  expect((await call('POST', `/api/v1/alerts/${id}/ack`, 'not json')).error).toMatch(/^body: /);
  expect((await call('POST', `/api/v1/alerts/${id}/ack`, '{}', { ...auth, 'X-Edgewatch-User': ' ' })).error).toMatch(/^X-Edgewatch-User: /);
  expect((await call('GET', '/api/v1/alerts?state=closed')).error).toMatch(/^state: /);
  expect((await call('GET', '/api/v1/alerts?kind=odd')).error).toMatch(/^kind: /);
  // nothing of it changed the alert; who defaults to `api`
  expect((await call('POST', `/api/v1/alerts/${id}/ack`)).status).toBe(200);
  const r = await httpRequest(ew.ports.admin, 'GET', `/api/v1/alerts/${id}`, undefined, auth);
  expect(JSON.parse(r.body.toString('utf8'))).toMatchObject({ state: 'acknowledged', triage: { by: 'api' } });
  tmp.cleanup();
});

/** The CLI in-process on the service's SQLite file; stdout collected, exit code restored. */
async function cli(args: string[]): Promise<string> {
  let out = '';
  const sink = new Writable({ write: (c: Buffer, _e, done) => ((out += c.toString('utf8')), done()) });
  const io = { stdout: { write: (t: string) => (out += t) }, stderr: sink };
  const program = new Command('edgewatch').exitOverride();
  addAlertsCommand(program, io);
  addRulesCommand(program, io);
  const before = process.exitCode;
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    process.exitCode = before;
  }
  return out;
}

test('SQLite: states and stored rules survive a restart; the CLI lists, acks, expects and deletes on the same file; each change is one log line', async () => {
  const tmp = tempDir('ew-triage-');
  const lines: Record<string, unknown>[] = [];
  const logs = new Writable({ write: (c: Buffer, _e, done) => (lines.push(JSON.parse(c.toString('utf8')) as Record<string, unknown>), done()) });
  const store = `sqlite:${join(tmp.dir, 'edgewatch.db')}`;
  const env = { EDGEWATCH_LOG_LEVEL: process.env.EDGEWATCH_LOG_LEVEL };
  process.env.EDGEWATCH_LOG_LEVEL = 'silent'; // the CLI's own log lines stay out of the test output
  try {
    let ew = await startService({ store }, { logger: createLogger('info', logs) });
    running.push(ew);
    await send(ew, [{ src: 'frontend', dst: 'payments' }, { src: 'cron', dst: 'db' }, { src: 'scanner', dst: 'db' }], 20);
    await until('three alerts', async () => (await alerts(ew)).length === 3);
    const [front] = await alertsFrom(ew, 'frontend');
    const [cron] = await alertsFrom(ew, 'cron');
    const [scanner] = await alertsFrom(ew, 'scanner');
    expect((await api<unknown>(ew, 'POST', `/api/v1/alerts/${front.id}/ack`, { expires: '2999-01-01' }, 'alice')).status).toBe(200);
    const change = lines.find((l) => l.event === 'alert_state_changed');
    expect(change).toMatchObject({ alert: front.id, action: 'ack', by: 'alice', before: 'open', after: 'acknowledged', expires: '2999-01-01T00:00:00.000Z' });
    expect(lines.filter((l) => l.event === 'alert_state_changed')).toHaveLength(1);

    // the CLI, next to the running service
    const table = await cli(['alerts', 'list', '--store', store, '--state', 'acknowledged']);
    expect(table.split('\n')[0]).toMatch(/^ID\s+CREATED\s+STATE\s+BY\s+KIND\s+CLUSTER\s+PROTO\s+SOURCE\s+DEST$/);
    expect(table).toContain(front.id);
    expect(table).not.toContain(cron.id);
    expect(await cli(['alerts', 'ack', scanner.id, '--store', store, '--user', 'dave', '--comment', 'triage'])).toBe(`alert ${scanner.id}: open → acknowledged by dave\n`);
    const done = JSON.parse(await cli(['alerts', 'expect', cron.id, '--store', store, '--user', 'erin', '--scope', 'source', '--json'])) as { rule: RuleJson; alert: AlertJson };
    expect(done.alert).toMatchObject({ state: 'expected', triage: { by: 'erin' } });
    expect(done.rule).toMatchObject({ id: `expect-${cron.id.slice(0, 16)}-source`, match: { cluster: CLUSTER, source: 'cron' }, origin: { alert: cron.id, by: 'erin' } });
    const rules = JSON.parse(await cli(['rules', 'list', '--store', store, '--json'])) as { rules: RuleJson[] };
    expect(rules.rules.map((r) => r.id)).toEqual([done.rule.id]);
    expect(await cli(['rules', 'list', '--store', store])).toMatch(new RegExp(`^ID\\s+MATCH.*\\n${done.rule.id}\\s+cluster=${CLUSTER} source=cron\\s`));
    const listed = JSON.parse(await cli(['alerts', 'list', '--store', store, '--json', '--state', 'open'])) as { alerts: AlertJson[] };
    expect(listed.alerts).toEqual([]);

    // the running service applies the rule the CLI wrote, within its poll
    await until('the service to apply the CLI-written rule', async () => (await metric(ew, 'edgewatch_stored_rules{state="active"}')) === 1);

    // restart on the same file: states and the rule are still there, and the rule still applies
    await ew.stop();
    running.splice(0);
    ew = await startService({ store });
    running.push(ew);
    expect((await alerts(ew)).map((x) => [x.source.workload, x.state]).sort()).toEqual([
      ['cron', 'expected'],
      ['frontend', 'acknowledged'],
      ['scanner', 'acknowledged'],
    ]);
    await until('the stored rule loaded after restart', async () => (await metric(ew, 'edgewatch_stored_rules{state="active"}')) === 1);
    await forget([ew], 'cron', 'db');
    await send(ew, [{ src: 'cron', dst: 'db' }, { src: 'cron', dst: 'cache' }], 10);
    await until('both cron edges in the baseline', async () => (await ew.svc.store.listEdges({ limit: 1000 })).filter((e) => e.key.source === 'cron').length === 2);
    expect(await metric(ew, `edgewatch_alerts_filtered_total{rule="${done.rule.id}"}`)).toBe(2);
    expect(await alertsFrom(ew, 'cron')).toHaveLength(1);

    expect(await cli(['rules', 'delete', done.rule.id, '--store', store, '--user', 'erin'])).toBe(`deleted stored rule ${done.rule.id}\n`);
    await until('the service to drop the rule', async () => (await metric(ew, 'edgewatch_stored_rules{state="active"}')) === 0);
    expect(await cli(['rules', 'list', '--store', store, '--json'])).toBe('{\n  "rules": []\n}\n');
  } finally {
    process.env.EDGEWATCH_LOG_LEVEL = env.EDGEWATCH_LOG_LEVEL;
    if (env.EDGEWATCH_LOG_LEVEL === undefined) delete process.env.EDGEWATCH_LOG_LEVEL;
    for (const r of running.splice(0)) await r.stop();
    tmp.cleanup();
  }
});
