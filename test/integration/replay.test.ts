/**
 * Back-fill: `edgewatch replay` loads 30 days of history (100,000 points of OTLP JSON lines, as
 * the collector's file exporter writes them; and a CSV export of the search) into the baseline
 * without a single alert, after which live traffic on those edges is known.
 */
import { status } from '@grpc/grpc-js';
import { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { addReplayCommand, type CliIo } from '../../src/cli/replay';
import type { Alert } from '../../src/core/alert';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';
import type { BaselineStore } from '../../src/store/store';
import { reducerRequest } from '../helpers/otlp-fixtures';
import { WebhookReceiver } from '../helpers/webhook-receiver';
import { aligned, closeGrpcClients, grpcExport, startService, tempDir } from '../helpers/service-harness';

const DAY = 86_400_000;
const POINTS = 100_000;
const PER_LINE = 1000;
const EDGES = 500;
const CLUSTERS = ['prod-eu', 'prod-us'];

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('ew-replay-');
});
afterAll(() => {
  closeGrpcClients();
  tmp.cleanup();
});

const edgeOf = (i: number): { cluster: string; src: string; dst: string } => ({ cluster: CLUSTERS[i % 2], src: `hist-${i}`, dst: `dep-${i % 37}` });

/** One ExportMetricsServiceRequest per line, shaped like the reducer's: one point per Metric, every label a point attribute. */
function otlpLines(now: number): string {
  const start = aligned(now) - 30 * DAY + DAY / 2;
  const step = Math.floor((30 * DAY - DAY) / (POINTS / EDGES));
  const lines: string[] = [];
  for (let l = 0; l < POINTS / PER_LINE; l++) {
    const cluster = CLUSTERS[l % 2];
    const metrics: string[] = [];
    for (let k = 0; k < PER_LINE; k++) {
      const n = l * PER_LINE + k;
      const e = edgeOf(((n % (EDGES / 2)) * 2) + (l % 2));
      const t = start + Math.floor(n / EDGES) * step + (n % 30) * 1000;
      const attrs = [
        ['source.workload.name', e.src],
        ['dest.workload.name', e.dst],
        ['source.namespace.name', 'hist'],
        ['dest.namespace.name', 'hist'],
        ['az_equal', 'true'],
      ].map(([key, v]) => `{"key":"${key}","value":{"stringValue":"${v}"}}`);
      metrics.push(
        `{"name":"tcp.packets","sum":{"aggregationTemporality":1,"isMonotonic":true,"dataPoints":[{"attributes":[${attrs.join(',')}],"timeUnixNano":"${t}000000","asInt":"3"}]}}`,
      );
    }
    lines.push(`{"resourceMetrics":[{"resource":{"attributes":[{"key":"k8s.cluster.name","value":{"stringValue":"${cluster}"}}]},"scopeMetrics":[{"metrics":[${metrics.join(',')}]}]}]}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Every delivery acknowledged: nothing left in the outbox that could still be sent. */
async function waitForSettled(store: BaselineStore): Promise<void> {
  while (Object.values((await store.outboxStats()).pending).some((n) => n > 0)) await new Promise((r) => setTimeout(r, 20));
}

async function runReplay(args: string[]): Promise<{ summary: string; progress: string }> {
  let summary = '';
  let progress = '';
  const io: CliIo = { stdout: { write: (t: string) => (summary += t) }, stderr: { write: (t: string) => (progress += t), isTTY: false } };
  const program = new Command('edgewatch').exitOverride();
  addReplayCommand(program, io);
  await program.parseAsync(['node', 'edgewatch', 'replay', ...args]);
  return { summary, progress };
}

// Its speed is measured in bench/, not asserted here.
test('30 days, 100,000 points of OTLP JSON lines: baseline filled, zero alerts; live points on them are known', async () => {
  const file = join(tmp.dir, 'history.jsonl');
  writeFileSync(file, otlpLines(Date.now()));
  const db = join(tmp.dir, 'replay.db');
  const { summary, progress } = await runReplay([file, '--store', `sqlite:${db}`]);
  expect(summary).toMatch(/points loaded:\s+100,000/);
  expect(summary).toMatch(/edges:\s+500 \(500 new to the baseline\)/);
  expect(progress).toMatch(/replay: 100% 100,000 points, 500 edges, 0 skipped/);

  const store = new SqliteStore(db);
  await store.init([]);
  expect(await store.countEdges()).toBe(EDGES);
  expect(await store.listAlerts(10)).toEqual([]);
  await store.close();

  // The service on that file, with the default 24 h learning period: the history counts as learnt.
  const hook = await WebhookReceiver.start();
  const ew = await startService({ store: `sqlite:${db}`, webhookUrls: [hook.url()], learningPeriodMs: DAY });
  try {
    const live = [edgeOf(0), edgeOf(1), edgeOf(499)];
    for (const e of live) {
      const body = reducerRequest({ cluster: e.cluster, edges: [{ src: e.src, dst: e.dst }], names: ['tcp.packets'], metricsPerRequest: 1, timeMs: aligned(Date.now()) }).protobuf;
      expect((await grpcExport(ew.ports.grpc, body)).code).toBe(status.OK);
    }
    const fresh = reducerRequest({ cluster: 'prod-eu', edges: [{ src: 'never-seen', dst: 'dep-1' }], names: ['tcp.packets'], metricsPerRequest: 1, timeMs: aligned(Date.now()) }).protobuf;
    expect((await grpcExport(ew.ports.grpc, fresh)).code).toBe(status.OK);
    // The outbox is final once the Export calls returned: one alert, for the new edge only.
    expect((await ew.svc.store.listAlerts(10)).map((a) => a.alert.source.workload)).toEqual(['never-seen']);
    await hook.waitFor(1, 5000);
    await waitForSettled(ew.svc.store);
    expect(hook.requests.map((r) => (r.json as Alert).source.workload)).toEqual(['never-seen']);
  } finally {
    await ew.stop();
    await hook.close();
  }
});

test('CSV export of the search (gzip too): bad lines are skipped with reasons and places; nothing alerts', async () => {
  const now = Date.now();
  const iso = (ms: number): string => new Date(ms).toISOString();
  const csv = [
    '"_time","k8s.cluster.name","source.workload.name","dest.workload.name","udp.packets_count"',
    `"${iso(now - 3 * DAY)}","prod-eu","dns-client","kube-dns","12"`,
    `${Math.floor((now - 2 * DAY) / 1000)},prod-eu,dns-client,kube-dns,3`,
    `"${iso(now - DAY)}","prod-us","ntp","(internet)","1"`,
    `"yesterday","prod-eu","a","b","1"`,
    `"${iso(now - DAY)}","prod-eu","","b","1"`,
    `"${iso(now - 40 * DAY)}","prod-eu","old","b","1"`,
    '',
  ].join('\n');
  const plain = join(tmp.dir, 'history.csv');
  const zipped = join(tmp.dir, 'more.csv.gz');
  writeFileSync(plain, csv);
  writeFileSync(zipped, gzipSync(csv.replace(/dns-client/g, 'dns-client-2')));
  const db = join(tmp.dir, 'csv.db');
  const { summary } = await runReplay([plain, zipped, '--store', `sqlite:${db}`]);
  expect(summary).toMatch(/points loaded:\s+6/);
  expect(summary).toMatch(/edges:\s+3 \(3 new/);
  expect(summary).toContain(`2 × bad _time (e.g. ${plain}:5, ${zipped}:5)`);
  expect(summary).toContain('2 × missing source.workload.name');
  expect(summary).toContain('2 × older than baseline_window');

  const store = new SqliteStore(db);
  await store.init([]);
  const edges = await store.listEdges({ limit: 100 });
  expect(edges.map((e) => `${e.key.scope}/${e.key.protocol}/${e.key.source}/${e.key.dest}`).sort()).toEqual([
    'prod-eu/udp/dns-client-2/kube-dns',
    'prod-eu/udp/dns-client/kube-dns',
    'prod-us/udp/ntp/(internet)',
  ]);
  expect(await store.listAlerts(10)).toEqual([]);
  await store.close();
});

test('unusable input is reported, not fatal: a CSV without the needed header, a line of broken JSON', async () => {
  const noHeader = join(tmp.dir, 'nohead.csv');
  writeFileSync(noHeader, 'a,b,c\n1,2,3\n');
  const broken = join(tmp.dir, 'broken.jsonl');
  writeFileSync(broken, '{"resourceMetrics": [\n');
  const { summary } = await runReplay([noHeader, broken, '--store', 'memory:']);
  expect(summary).toContain(`CSV header lacks _time, source.workload.name, dest.workload.name, k8s.cluster.name (or --cluster); given: a, b, c (e.g. ${noHeader}:1)`);
  expect(summary).toMatch(/1 × invalid OTLP JSON: .* \(e\.g\. .*broken\.jsonl:1\)/);
});
