import { BadQueryError } from '../../../src/admin/api';
import { expectRule, expectRuleId, literalPattern } from '../../../src/admin/expect-rule';
import { parseAlertQuery, parseTriageBody, parseUser, TriageInputError } from '../../../src/admin/triage-input';
import type { Alert } from '../../../src/core/alert';
import type { Observation } from '../../../src/core/observation';
import { compileRuleEntry, filterRuleSet } from '../../../src/detect/filter-rules';
import { ruleEntry } from '../../../src/detect/stored-rules';

const NOW = Date.parse('2026-11-28T10:00:00Z');

describe('ack / expect bodies', () => {
  const bad = (text: string, action: 'ack' | 'expect', message: RegExp): void => {
    expect(() => parseTriageBody(text, action, NOW)).toThrow(TriageInputError);
    expect(() => parseTriageBody(text, action, NOW)).toThrow(message);
  };

  test('empty body and {} are no comment, no expiry; expect defaults to scope edge', () => {
    expect(parseTriageBody('', 'ack', NOW)).toEqual({ comment: null, expiresMs: null });
    expect(parseTriageBody('  \n', 'ack', NOW)).toEqual({ comment: null, expiresMs: null });
    expect(parseTriageBody('{}', 'expect', NOW)).toEqual({ comment: null, expiresMs: null, scope: 'edge' });
  });

  test('comment, expires (a date or a date-time, like filter rules) and scope', () => {
    expect(parseTriageBody('{"comment":"rollout of v2","expires":"2026-12-31"}', 'ack', NOW)).toEqual({ comment: 'rollout of v2', expiresMs: Date.parse('2026-12-31T00:00:00Z') });
    expect(parseTriageBody('{"expires":"2026-12-01T18:00:00+01:00","scope":"source"}', 'expect', NOW)).toEqual({
      comment: null,
      expiresMs: Date.parse('2026-12-01T17:00:00Z'),
      scope: 'source',
    });
    expect(parseTriageBody('{"comment":"   ","expires":null}', 'ack', NOW)).toEqual({ comment: null, expiresMs: null });
  });

  test('a bad body is refused naming the field', () => {
    bad('{', 'ack', /^body: expected a JSON object, given invalid JSON/);
    bad('[1]', 'ack', /^body: expected a JSON object, given \[1\]/);
    bad('"x"', 'expect', /^body: expected a JSON object/);
    bad('{"coment":"typo"}', 'ack', /^coment: unknown field; ack takes comment, expires$/);
    bad('{"scope":"edge"}', 'ack', /^scope: unknown field; ack takes comment, expires$/);
    bad('{"comment":42}', 'ack', /^comment: expected a string, given 42/);
    bad(JSON.stringify({ comment: 'x'.repeat(2001) }), 'ack', /^comment: at most 2000 characters/);
    bad('{"expires":"next week"}', 'expect', /^expires: expected a date like 2026-12-31/);
    bad('{"expires":20261231}', 'expect', /^expires: expected a date/);
    bad('{"expires":"2026-11-28"}', 'ack', /^expires: "2026-11-28" is not in the future/);
    bad('{"scope":"cluster"}', 'expect', /^scope: expected "edge" .* or "source"/);
  });

  test('who: the header, trimmed, else api; an unusable one is refused naming the header', () => {
    expect(parseUser(undefined)).toBe('api');
    expect(parseUser(' alice@example.com ')).toBe('alice@example.com');
    expect(parseUser(['bob', 'eve'])).toBe('bob');
    expect(() => parseUser('')).toThrow(/^X-Edgewatch-User: expected a name of 1 to 200 printable characters/);
    expect(() => parseUser('a\u0007b')).toThrow(TriageInputError);
    expect(() => parseUser('x'.repeat(201), '--user')).toThrow(/^--user: /);
  });
});

describe('GET /api/v1/alerts query', () => {
  const q = (s: string): ReturnType<typeof parseAlertQuery> => parseAlertQuery(new URLSearchParams(s), NOW);

  test('no filters: limit 100, the time states are judged at', () => {
    expect(q('')).toEqual({ limit: 100, query: { nowMs: NOW } });
  });

  test('state (one or several), kind, cluster, since (ISO, epoch ms or a duration back), limit', () => {
    expect(q('state=open&kind=new_path&cluster=prod-eu&since=1h&limit=5')).toEqual({
      limit: 5,
      query: { nowMs: NOW, states: ['open'], kind: 'new_path', cluster: 'prod-eu', sinceMs: NOW - 3_600_000 },
    });
    expect(q('state=acknowledged,expected').query.states).toEqual(['acknowledged', 'expected']);
    expect(q('since=2026-11-28T09:00:00Z').query.sinceMs).toBe(NOW - 3_600_000);
  });

  test('a bad parameter is refused naming it', () => {
    const bad = (s: string, message: RegExp): void => {
      expect(() => q(s)).toThrow(BadQueryError);
      expect(() => q(s)).toThrow(message);
    };
    bad('state=closed', /^state: expected open, acknowledged, expected/);
    bad('state=open,', /^state: /);
    bad('kind=new_thing', /^kind: expected new_path, new_workload, new_protocol, given "new_thing"/);
    bad('cluster=', /^cluster: /);
    bad('since=yesterday', /^since: /);
    bad('limit=0', /^limit: /);
  });
});

describe('the rule expect writes', () => {
  const alert = (over: Partial<Alert> = {}): Alert =>
    ({
      id: '0f3c5a9e1b7d4c2a8e6f0b1d3c5a7e9f',
      rule: 'kubernetes_newly_seen_tcp_edge',
      cluster: 'prod-eu',
      protocol: 'tcp',
      source: { workload: 'frontend', namespace: 'shop' },
      dest: { workload: 'payments', namespace: 'shop' },
      ...over,
    }) as Alert;
  const obs = (over: Partial<Observation> = {}): Observation => ({
    cluster: 'prod-eu',
    protocol: 'tcp',
    source: 'frontend',
    dest: 'payments',
    sourceNamespace: 'shop',
    destNamespace: 'shop',
    timeMs: NOW,
    attributes: () => ({}),
    ...over,
  });
  const input = { by: 'alice', nowMs: NOW, comment: 'known', expiresMs: null, baselineScope: 'cluster' as const };
  const compiled = (a: Alert, scope: 'edge' | 'source', baselineScope: 'cluster' | 'global' = 'cluster') =>
    filterRuleSet([compileRuleEntry(ruleEntry(expectRule(a, { ...input, scope, baselineScope })), 'test')]);

  test('scope edge: exactly that cluster, protocol, source and dest; named by a stable id', () => {
    const r = expectRule(alert(), { ...input, scope: 'edge' });
    expect(r).toEqual({
      id: 'expect-0f3c5a9e1b7d4c2a',
      spec: { name: 'expect-0f3c5a9e1b7d4c2a', cluster: 'prod-eu', protocol: 'tcp', source: 'frontend', dest: 'payments', comment: 'known' },
      alertId: alert().id,
      by: 'alice',
      createdMs: NOW,
      comment: 'known',
      expiresMs: null,
    });
    const set = compiled(alert(), 'edge');
    expect(set.match(obs(), NOW)?.label).toBe('expect-0f3c5a9e1b7d4c2a');
    expect(set.match(obs({ protocol: 'udp' }), NOW)).toBeNull();
    expect(set.match(obs({ dest: 'cart' }), NOW)).toBeNull();
    expect(set.match(obs({ cluster: 'prod-us' }), NOW)).toBeNull();
  });

  test('scope source: anything the source workload starts in that cluster; global scope ignores the cluster', () => {
    expect(expectRuleId(alert().id, 'source')).toBe('expect-0f3c5a9e1b7d4c2a-source');
    const set = compiled(alert(), 'source');
    expect(set.match(obs({ dest: 'cart', protocol: 'udp' }), NOW)).not.toBeNull();
    expect(set.match(obs({ source: 'batch' }), NOW)).toBeNull();
    expect(compiled(alert(), 'edge', 'global').match(obs({ cluster: 'anywhere' }), NOW)).not.toBeNull();
  });

  test('names that read as patterns match only themselves', () => {
    for (const name of ['a*b', 'svc?', '/x/', '', 'dots.and+plus(1)', '[x]']) {
      const set = compiled(alert({ source: { workload: name, namespace: null } }), 'source');
      expect(set.match(obs({ source: name }), NOW)).not.toBeNull();
      expect(set.match(obs({ source: `${name}z` }), NOW)).toBeNull();
    }
    expect(literalPattern('frontend')).toBe('frontend');
    expect(compiled(alert({ source: { workload: 'a*b', namespace: null } }), 'source').match(obs({ source: 'aXb' }), NOW)).toBeNull();
  });

  test('expires: the rule stops matching then', () => {
    const r = expectRule(alert(), { ...input, scope: 'edge', expiresMs: NOW + 1000 });
    expect(r.spec.expires).toBe(new Date(NOW + 1000).toISOString());
    const s = filterRuleSet([compileRuleEntry(ruleEntry(r), 'test')]);
    expect(s.match(obs(), NOW + 999)).not.toBeNull();
    expect(s.match(obs(), NOW + 1000)).toBeNull();
  });
});
