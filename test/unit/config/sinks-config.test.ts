import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSinks } from '../../../src/alert/build-sinks';
import { loadConfig } from '../../../src/config/config';
import { ConfigError } from '../../../src/core/errors';
import { createLogger } from '../../../src/telemetry/logger';

function yamlFile(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'ew-sinks-')), 'edgewatch.yaml');
  writeFileSync(p, text);
  return p;
}

const load = (yaml: string, env: NodeJS.ProcessEnv = {}): ReturnType<typeof loadConfig> => loadConfig({ env, file: yamlFile(yaml) });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('sinks: in the YAML file', () => {
  test('several sinks of every type, with filters, alongside webhook_url and other options', () => {
    const cfg = load(
      `
webhook_url: [https://hooks.example.com/generic]
storm_max_alerts_per_minute: 0
sinks:
  - type: slack
    url: \${SLACK_URL}
    protocols: [tcp]
    clusters: ["prod-*"]
  - type: splunk_hec
    name: splunk-sec
    url: https://splunk.example.com:8088
    token: \${HEC_TOKEN}
    index: security
    sourcetype: k8s:edge
    timeout: 30s
  - type: alertmanager
    url: http://alertmanager:9093
    severity: critical
    labels: { team: security }
    generator_url: https://edgewatch.example.com
  - type: webhook
    url: https://soar.example.com/hook
    secret: s3cret
`,
      { SLACK_URL: 'https://hooks.slack.com/services/T/B/X', HEC_TOKEN: 'hec-token' },
    );
    expect(cfg.webhookUrls).toEqual(['https://hooks.example.com/generic']);
    expect(cfg.stormMaxAlertsPerMinute).toBe(0);
    expect(cfg.sinks).toEqual([
      // Slack groups by default (README "Sinks": group_by / group_wait); the machine sinks do not.
      { type: 'slack', url: 'https://hooks.slack.com/services/T/B/X', protocols: ['tcp'], clusters: ['prod-*'], grouping: { by: ['cluster', 'source.workload'], waitMs: 30_000 } },
      { type: 'splunk_hec', name: 'splunk-sec', url: 'https://splunk.example.com:8088', token: 'hec-token', index: 'security', sourcetype: 'k8s:edge', timeoutMs: 30_000 },
      { type: 'alertmanager', url: 'http://alertmanager:9093', severity: 'critical', labels: { team: 'security' }, generatorUrl: 'https://edgewatch.example.com' },
      { type: 'webhook', url: 'https://soar.example.com/hook', secret: 's3cret' },
    ]);
    const names = buildSinks(cfg, createLogger('silent')).map((s) => s.name);
    expect(names).toEqual(['webhook:hooks.example.com/generic', expect.stringMatching(/^slack:hooks\.slack\.com#[0-9a-f]{8}$/), 'splunk-sec', 'alertmanager:alertmanager:9093', 'webhook:soar.example.com/hook']);
  });

  test('defaults: no sinks, storm cap 50, no rules file', () => {
    const cfg = loadConfig({ env: {} });
    expect(cfg).toMatchObject({ sinks: [], stormMaxAlertsPerMinute: 50, rulesPollIntervalMs: 5000 });
    expect(cfg.rulesFile).toBeUndefined();
  });

  test.each([
    ['an unknown type', 'sinks: [{type: pagerduty, url: "https://x"}]', 'sinks[0].type', 'type: webhook, slack, splunk_hec or alertmanager'],
    ['a HEC sink without token', 'sinks: [{type: splunk_hec, url: "https://x"}]', 'sinks[0].token', ''],
    ['an unknown key', 'sinks: [{type: slack, url: "https://x", chanel: "#sec"}]', 'sinks[0]', 'chanel'],
    ['a bad protocol', 'sinks: [{type: slack, url: "https://x", protocols: [icmp]}]', 'sinks[0].protocols.0', ''],
    ['a bad timeout', 'sinks: [{type: slack, url: "https://x", timeout: soon}]', 'sinks[0].timeout', 'duration'],
    ['a non-http URL', 'sinks: [{type: webhook, url: "ftp://x"}]', 'sinks[0].url', 'http'],
    ['a bad cluster regex', 'sinks: [{type: slack, url: "https://x", clusters: ["/(/"]}]', 'sinks[0].clusters', 'regular expression'],
    ['not a list', 'sinks: {type: slack}', 'sinks', 'list'],
  ])('rejects %s with a message naming the field', (_what, yaml, field, expected) => {
    const err = configError(() => load(yaml));
    expect(err.field).toContain(field);
    expect(err.message).toContain(expected);
  });

  test('an unset ${VAR} is an error naming it; secrets never appear in messages', () => {
    const err = configError(() => load('sinks: [{type: splunk_hec, url: "https://x", token: "${NOPE}"}]'));
    expect(err.message).toContain('NOPE');
    const bad = configError(() => load('sinks: [{type: webhook, url: "https://user:hunter2@x y"}]'));
    expect(bad.message).not.toContain('hunter2');
  });

  test('two sinks with one name are refused (the name keys the outbox)', () => {
    const cfg = load('sinks: [{type: alertmanager, url: "http://am:9093"}, {type: alertmanager, url: "http://am:9093/"}]');
    expect(() => buildSinks(cfg, createLogger('silent'))).toThrow(/sinks\[1\]\.name/);
  });

  test('storm_max_alerts_per_minute takes 0 but not a negative number; external_url must be http(s)', () => {
    expect(loadConfig({ env: { EDGEWATCH_STORM_MAX_ALERTS_PER_MINUTE: '0' } }).stormMaxAlertsPerMinute).toBe(0);
    expect(() => loadConfig({ env: { EDGEWATCH_STORM_MAX_ALERTS_PER_MINUTE: '-1' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { EDGEWATCH_EXTERNAL_URL: 'edgewatch.local' } })).toThrow(/external_url/);
  });
});
