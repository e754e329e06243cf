/**
 * Filter rules live: a real service with rules_file, reloaded by reloadRules() (SIGHUP's handler) and by
 * watching the file; a bad file keeps the rules in force; rules expire at their time.
 */
import { status } from '@grpc/grpc-js';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors';
import { reducerRequest, type FixtureEdge } from '../helpers/otlp-fixtures';
import { aligned, closeGrpcClients, grpcExport, httpRequest, startService, tempDir, type Running } from '../helpers/service-harness';

const MIN = 60_000;
let tmp: ReturnType<typeof tempDir>;
let rulesPath: string;
let ew: Running;
/** The service's clock: moved forward to pass a rule's expiry. */
let clock = Date.now();

beforeAll(async () => {
  tmp = tempDir('ew-rules-');
  rulesPath = join(tmp.dir, 'rules.yaml');
  writeFileSync(rulesPath, '- name: scrapes\n  comment: Prometheus scrapes everything\n  source: prometheus\n');
  clock = Date.now();
  ew = await startService({ store: 'memory:', rulesFile: rulesPath, rulesPollIntervalMs: 0 }, { now: () => clock });
});

afterAll(async () => {
  await ew.stop();
  closeGrpcClients();
  tmp.cleanup();
});

async function send(edges: FixtureEdge[], cluster = 'prod-eu'): Promise<void> {
  const body = reducerRequest({ cluster, edges, names: ['tcp.packets', 'udp.packets'], metricsPerRequest: edges.length, timeMs: aligned(Date.now()) }).protobuf;
  expect((await grpcExport(ew.ports.grpc, body)).code).toBe(status.OK);
}
const alerted = async (src: string): Promise<boolean> => (await ew.svc.store.listAlerts(1000)).some((a) => a.alert.source.workload === src);
const inBaseline = async (src: string): Promise<boolean> => (await ew.svc.store.listEdges({ limit: 10_000 })).some((e) => e.key.source === src);
async function metric(name: string): Promise<string> {
  return (await httpRequest(ew.ports.admin, 'GET', '/metrics')).body.toString().split('\n').filter((l) => l.startsWith(name)).join('\n');
}

test('a matching rule drops the alert; the edge still enters the baseline; counted by rule', async () => {
  await send([{ src: 'prometheus', dst: 'payments' }, { src: 'intruder', dst: 'payments' }]);
  expect(await alerted('prometheus')).toBe(false);
  expect(await inBaseline('prometheus')).toBe(true);
  expect(await alerted('intruder')).toBe(true);
  expect(await metric('edgewatch_alerts_filtered_total')).toContain('rule="scrapes"} 1');
  expect(await metric('edgewatch_filter_rules_loaded')).toContain('state="active"} 1');
  expect(await metric('edgewatch_alerts_suppressed_total')).toContain('reason="filtered"} 1');
});

// A real SIGHUP to the running service: test/integration/operate/sighup-reload.test.ts.
test('reload through reloadRules() (what SIGHUP calls): new rules apply at once; a bad file is rejected and the rules in force stay', async () => {
  writeFileSync(rulesPath, '- source: prometheus\n- dest: "/^kube-dns/"\n  protocol: udp\n');
  expect(await ew.svc.reloadRules()).toEqual({ ok: true, rules: 2, changed: true });
  await send([{ src: 'resolver', dst: 'kube-dns-x', proto: 'udp' }]);
  expect(await alerted('resolver')).toBe(false);

  writeFileSync(rulesPath, '- dest: "/(/"\n');
  const bad = await ew.svc.reloadRules();
  expect(bad.ok).toBe(false);
  expect(bad).toMatchObject({ error: expect.stringContaining('rules[0].dest: invalid regular expression') });
  await send([{ src: 'resolver2', dst: 'kube-dns-y', proto: 'udp' }, { src: 'newcomer', dst: 'kube-dns-y', proto: 'tcp' }]);
  expect(await alerted('resolver2')).toBe(false); // the previous rules still hold
  expect(await alerted('newcomer')).toBe(true);
  expect(await metric('edgewatch_filter_rules_reloads_total')).toContain('outcome="error"} 1');
});

test('reload on file change (fs.watch, debounced), including a file replaced by rename', async () => {
  const next = join(tmp.dir, 'rules.yaml.tmp');
  writeFileSync(next, '- source: "batch-*"\n');
  // Editors and ConfigMaps replace the file instead of writing into it.
  rmSync(rulesPath);
  renameSync(next, rulesPath);
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && ew.svc.guards.rules?.ruleCount !== 1) await new Promise((r) => setTimeout(r, 50));
  expect(ew.svc.guards.rules?.ruleCount).toBe(1);
  await send([{ src: 'batch-7', dst: 'db' }, { src: 'resolver3', dst: 'kube-dns-z', proto: 'udp' }]);
  expect(await alerted('batch-7')).toBe(false);
  expect(await alerted('resolver3')).toBe(true); // the kube-dns rule is gone
});

test('a rule stops matching at its expiry, without a reload', async () => {
  const expires = new Date(Date.now() + 10 * MIN).toISOString();
  writeFileSync(rulesPath, `- source: "cron-*"\n  expires: ${expires}\n`);
  expect((await ew.svc.reloadRules()).ok).toBe(true);
  await send([{ src: 'cron-1', dst: 'db' }]);
  expect(await alerted('cron-1')).toBe(false);
  clock = Date.now() + 11 * MIN;
  await send([{ src: 'cron-2', dst: 'db' }]);
  expect(await alerted('cron-2')).toBe(true);
  expect(await metric('edgewatch_filter_rules_loaded')).toContain('state="expired"} 1');
  clock = Date.now();
});

test('at start, a bad or missing rules file is a ConfigError naming rules_file', async () => {
  writeFileSync(join(tmp.dir, 'bad.yaml'), '- nothing: here\n');
  await expect(startService({ store: 'memory:', rulesFile: join(tmp.dir, 'bad.yaml') })).rejects.toThrow(ConfigError);
  await expect(startService({ store: 'memory:', rulesFile: join(tmp.dir, 'bad.yaml') })).rejects.toThrow(/rules_file.*rules\[0\]\.nothing: unknown key/);
  await expect(startService({ store: 'memory:', rulesFile: join(tmp.dir, 'missing.yaml') })).rejects.toThrow(/rules_file/);
});
