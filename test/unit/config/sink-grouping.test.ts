import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSinks } from '../../../src/alert/build-sinks';
import { isGroupingSink } from '../../../src/alert/sink';
import { loadConfig } from '../../../src/config/config';
import { DEFAULT_GROUP_WAIT_MS } from '../../../src/config/sink-grouping';
import { ConfigError } from '../../../src/core/errors';
import { createLogger } from '../../../src/telemetry/logger';

function load(yaml: string): ReturnType<typeof loadConfig> {
  const p = join(mkdtempSync(join(tmpdir(), 'ew-grouping-')), 'edgewatch.yaml');
  writeFileSync(p, yaml);
  return loadConfig({ env: {}, file: p });
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('sinks: group_by and group_wait', () => {
  test('Slack groups by cluster and source workload for 30 s by default; webhook, HEC and Alertmanager send one request per alert', () => {
    const cfg = load(`
sinks:
  - {type: slack, url: "https://hooks.slack.com/services/T/B/X"}
  - {type: webhook, url: "https://soar.example.com/hook"}
  - {type: splunk_hec, url: "https://splunk:8088", token: t}
  - {type: alertmanager, url: "http://am:9093"}
`);
    expect(cfg.sinks.map((s) => s.grouping)).toEqual([{ by: ['cluster', 'source.workload'], waitMs: DEFAULT_GROUP_WAIT_MS }, undefined, undefined, undefined]);
    expect(DEFAULT_GROUP_WAIT_MS).toBe(30_000);
    const sinks = buildSinks(cfg, createLogger('silent'));
    expect(sinks.map(isGroupingSink)).toEqual([true, false, false, false]);
  });

  test('any type can group, by any allowed fields, with its own wait; duplicates are dropped', () => {
    const cfg = load(`
sinks:
  - {type: slack, url: "https://hooks.slack.com/services/T/B/X", group_wait: 2m, clusters: ["prod-*"]}
  - {type: webhook, url: "https://soar.example.com/hook", group_by: [cluster, dest.workload, cluster], group_wait: 5s}
  - {type: splunk_hec, url: "https://splunk:8088", token: t, group_by: [rule, severity, context.kind]}
  - {type: alertmanager, url: "http://am:9093", group_by: [cluster, protocol, source.namespace, dest.namespace], group_wait: 0}
`);
    expect(cfg.sinks.map((s) => s.grouping)).toEqual([
      { by: ['cluster', 'source.workload'], waitMs: 120_000 },
      { by: ['cluster', 'dest.workload'], waitMs: 5_000 },
      { by: ['rule', 'severity', 'context.kind'], waitMs: 30_000 },
      { by: ['cluster', 'protocol', 'source.namespace', 'dest.namespace'], waitMs: 0 },
    ]);
    // The protocol/cluster filter keeps the grouping of the sink it wraps.
    expect(buildSinks(cfg, createLogger('silent')).every(isGroupingSink)).toBe(true);
  });

  test('group_by: [] turns Slack grouping off', () => {
    const cfg = load('sinks: [{type: slack, url: "https://hooks.slack.com/services/T/B/X", group_by: []}]');
    expect(cfg.sinks[0].grouping).toBeUndefined();
    expect(isGroupingSink(buildSinks(cfg, createLogger('silent'))[0])).toBe(false);
  });

  test.each([
    ['an unknown field', 'sinks: [{type: webhook, url: "https://x", group_by: [cluster, source.pod]}]', 'sinks[0].group_by[1]', 'one of cluster, protocol, rule, source.workload', 'source.pod'],
    ['a field that is not a string', 'sinks: [{type: webhook, url: "https://x", group_by: [cluster, 3]}]', 'sinks[0].group_by[1]', 'one of cluster', '3'],
    ['group_by not a list', 'sinks: [{type: webhook, url: "https://x", group_by: cluster}]', 'sinks[0].group_by', 'a list of fields', 'cluster'],
    ['a bad group_wait', 'sinks: [{type: slack, url: "https://x", group_wait: soon}]', 'sinks[0].group_wait', 'a duration from 0 to 10m', 'soon'],
    ['a group_wait over 10m', 'sinks: [{type: slack, url: "https://x", group_wait: 1h}]', 'sinks[0].group_wait', 'a duration from 0 to 10m', '1h'],
    ['group_wait on a sink that does not group', 'sinks: [{type: webhook, url: "https://x", group_wait: 10s}]', 'sinks[0].group_wait', 'a non-empty group_by', '10s'],
    ['group_wait with group_by: []', 'sinks: [{type: slack, url: "https://x", group_by: [], group_wait: 10s}]', 'sinks[0].group_wait', 'a non-empty group_by', '10s'],
  ])('rejects %s with a message naming the field', (_what, yaml, field, expected, given) => {
    const err = configError(() => load(yaml));
    expect(err.field).toContain(field);
    expect(err.message).toContain(expected);
    expect(err.message).toContain(given);
  });
});
