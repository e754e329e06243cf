import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/config';
import { formatDuration, parseBytes, parseDuration } from '../../../src/config/duration';
import { OPTIONS } from '../../../src/config/options';
import { ConfigError } from '../../../src/core/errors';

function yamlFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ew-cfg-'));
  const p = join(dir, 'edgewatch.yaml');
  writeFileSync(p, text);
  return p;
}

describe('durations', () => {
  test.each([
    ['30d', 2_592_000_000],
    ['1h', 3_600_000],
    ['90s', 90_000],
    ['0', 0],
    ['500ms', 500],
    ['1h30m', 5_400_000],
    ['2w', 1_209_600_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  test.each(['', '30', 'd', '1x', '-1h', '1hx', '1 h', '1h-', ' '])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeNull();
  });
  // YAML block scalars and env files often carry a stray space or newline: accepted on purpose.
  test.each([
    ['1h ', 3_600_000],
    [' 1h', 3_600_000],
    ['\t30d\n', 2_592_000_000],
    [' 0 ', 0],
  ])('accepts surrounding whitespace: %j → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  test('formats back', () => {
    expect(formatDuration(2_592_000_000)).toBe('30d');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(0)).toBe('0');
  });
  test('byte sizes', () => {
    expect(parseBytes('64MiB')).toBe(64 * 1024 * 1024);
    expect(parseBytes('4194304')).toBe(4194304);
    expect(parseBytes('lots')).toBeNull();
  });
});

describe('config layers: defaults ← file ← env ← flags', () => {
  test('defaults match the interface contract', () => {
    const c = loadConfig({ env: {} });
    expect(c).toMatchObject({
      otlpGrpcAddr: '0.0.0.0:4317',
      otlpHttpAddr: '0.0.0.0:4318',
      adminAddr: '0.0.0.0:9464',
      store: 'sqlite:./data/edgewatch.db',
      baselineWindowMs: 30 * 86_400_000,
      detectionWindowMs: 3_600_000,
      learningPeriodMs: 86_400_000,
      baselineScope: 'cluster',
      metrics: ['tcp.packets', 'udp.packets'],
      clusterAttr: 'k8s.cluster.name',
      sourceAttr: 'source.workload.name',
      destAttr: 'dest.workload.name',
      webhookUrls: [],
      maxMessageBytes: 64 * 1024 * 1024,
      logLevel: 'info',
    });
    expect(c.webhookSecret).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  test('each layer overrides the one before', () => {
    const file = yamlFile('baseline_window: 7d\ndetection_window: 2h\nlearning_period: 0\nmetrics: [tcp.packets]\n');
    const c = loadConfig({
      env: { EDGEWATCH_CONFIG: file, EDGEWATCH_DETECTION_WINDOW: '30m', EDGEWATCH_LEARNING_PERIOD: '1h' },
      flags: { learningPeriodMs: '2h' },
    });
    expect(c.baselineWindowMs).toBe(7 * 86_400_000); // file
    expect(c.detectionWindowMs).toBe(1_800_000); // env over file
    expect(c.learningPeriodMs).toBe(7_200_000); // flag over env
    expect(c.metrics).toEqual(['tcp.packets']);
  });

  test('every option has a distinct env, flag and key in the contract form', () => {
    const envs = OPTIONS.map((o) => o.env);
    expect(new Set(envs).size).toBe(envs.length);
    for (const name of ['EDGEWATCH_OTLP_GRPC_ADDR', 'EDGEWATCH_OTLP_HTTP_ADDR', 'EDGEWATCH_ADMIN_ADDR', 'EDGEWATCH_STORE', 'EDGEWATCH_BASELINE_WINDOW', 'EDGEWATCH_DETECTION_WINDOW', 'EDGEWATCH_LEARNING_PERIOD', 'EDGEWATCH_BASELINE_SCOPE', 'EDGEWATCH_METRICS', 'EDGEWATCH_CLUSTER_ATTR', 'EDGEWATCH_SOURCE_ATTR', 'EDGEWATCH_DEST_ATTR', 'EDGEWATCH_WEBHOOK_URL', 'EDGEWATCH_WEBHOOK_SECRET', 'EDGEWATCH_AUTH_TOKEN', 'EDGEWATCH_LOG_LEVEL']) {
      expect(envs).toContain(name);
    }
  });

  test('comma-separated webhook URLs', () => {
    const c = loadConfig({ env: { EDGEWATCH_WEBHOOK_URL: 'http://a/x, https://b/y' } });
    expect(c.webhookUrls).toEqual(['http://a/x', 'https://b/y']);
  });
});

describe('config errors name the field, the expected form and the given value', () => {
  const bad = (env: Record<string, string>): string => {
    try {
      loadConfig({ env });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    }
    throw new Error('expected a ConfigError');
  };
  test.each([
    [{ EDGEWATCH_BASELINE_WINDOW: '30 days' }, /baseline_window \(EDGEWATCH_BASELINE_WINDOW\).*duration like 30d.*"30 days"/],
    [{ EDGEWATCH_BASELINE_SCOPE: 'world' }, /baseline_scope.*one of cluster\|global.*"world"/],
    [{ EDGEWATCH_OTLP_GRPC_ADDR: '4317' }, /otlp_grpc_addr.*host:port.*"4317"/],
    [{ EDGEWATCH_METRICS: 'http.requests' }, /metrics.*tcp\. or udp\..*"http.requests"/],
    [{ EDGEWATCH_WEBHOOK_URL: 'ftp://x' }, /webhook_url.*http:\/\/.*"ftp:\/\/x"/],
    [{ EDGEWATCH_DETECTION_WINDOW: '31d' }, /detection_window.*not longer than baseline_window/],
    [{ EDGEWATCH_LOG_LEVEL: 'loud' }, /log_level.*"loud"/],
  ])('%j', (env, re) => {
    expect(bad(env)).toMatch(re);
  });
  test('unknown key in the file', () => {
    const file = yamlFile('baseline_windw: 7d\n');
    expect(() => loadConfig({ env: { EDGEWATCH_CONFIG: file } })).toThrow(/baseline_windw.*one of the keys/);
  });
  test('unreadable file and bad YAML', () => {
    expect(() => loadConfig({ env: { EDGEWATCH_CONFIG: '/nonexistent/edgewatch.yaml' } })).toThrow(/EDGEWATCH_CONFIG.*readable YAML file/);
    const file = yamlFile('a: [1\n');
    expect(() => loadConfig({ env: { EDGEWATCH_CONFIG: file } })).toThrow(/valid YAML/);
  });
});
