import { compileFilterRules, FilterRulesError, parseExpiry } from '../../../src/detect/filter-rules';
import { compilePattern, PatternError } from '../../../src/detect/pattern';
import type { Observation } from '../../../src/core/observation';

function obs(over: Partial<Observation> = {}, attrs: Record<string, string> = {}): Observation {
  return {
    cluster: 'prod-eu',
    protocol: 'tcp',
    source: 'prometheus',
    dest: 'payments',
    sourceNamespace: 'monitoring',
    destNamespace: 'shop',
    timeMs: 0,
    attributes: () => ({ 'source.process.name': 'prometheus', ...attrs }),
    ...over,
  };
}

const NOW = Date.parse('2026-06-01T00:00:00Z');

describe('patterns', () => {
  test.each([
    ['payments', 'payments', true],
    ['payments', 'payments-v2', false],
    ['pay*', 'payments', true],
    ['*ments', 'payments', true],
    ['pay?ents', 'payments', true],
    ['pay?ents', 'payents', false],
    ['a.b', 'axb', false],
    ['(internet)', '(internet)', true],
    ['/^kube-dns(-\\w+)?$/', 'kube-dns-abc', true],
    ['/dns/', 'kube-dns', true],
    ['/^DNS$/i', 'dns', true],
  ])('%s against %s → %s', (pattern, value, expected) => {
    expect(compilePattern(pattern)(value)).toBe(expected);
  });
  test('bad regexes and stateful flags are refused', () => {
    expect(() => compilePattern('/(/')).toThrow(PatternError);
    expect(() => compilePattern('/a/g')).toThrow(/flags/);
  });
});

describe('filter rules file', () => {
  test('entries AND their conditions and OR each other; lists are any-of', () => {
    const set = compileFilterRules(`
- name: scrapes
  comment: Prometheus scrapes every pod
  source: prometheus
  source_namespace: monitoring
- cluster: "dev-*"
  dest: ["/^kube-dns/", coredns]
  protocol: udp
`);
    expect(set.rules.map((r) => r.label)).toEqual(['scrapes', 'rules[1]']);
    expect(set.rules[0].comment).toBe('Prometheus scrapes every pod');
    expect(set.match(obs(), NOW)?.label).toBe('scrapes');
    expect(set.match(obs({ sourceNamespace: 'default' }), NOW)).toBeNull();
    expect(set.match(obs({ cluster: 'dev-1', source: 'x', dest: 'coredns', protocol: 'udp' }), NOW)?.label).toBe('rules[1]');
    expect(set.match(obs({ cluster: 'dev-1', source: 'x', dest: 'coredns', protocol: 'tcp' }), NOW)).toBeNull();
  });

  test('any data point attribute, read only when a rule needs it; a missing attribute never matches', () => {
    let reads = 0;
    const o = obs({ source: 'batch' }, { 'dest.availability_zone': 'eu-west-1a' });
    const counted: Observation = { ...o, attributes: () => (reads++, o.attributes()) };
    const set = compileFilterRules(`rules:\n  - source: nope\n    attributes: {x: y}\n  - attributes:\n      dest.availability_zone: "eu-west-*"\n`);
    expect(set.match(counted, NOW)?.label).toBe('rules[1]');
    expect(reads).toBe(1);
    expect(compileFilterRules('- attributes: {absent: "*"}').match(obs(), NOW)).toBeNull();
  });

  test('expiry: a date stops at 00:00 UTC that day, a date-time at its instant (UTC without a zone)', () => {
    expect(parseExpiry('2026-12-31', 'x')).toBe(Date.parse('2026-12-31T00:00:00Z'));
    expect(parseExpiry('2026-12-31T18:00', 'x')).toBe(Date.parse('2026-12-31T18:00:00Z'));
    expect(parseExpiry('2026-12-31T18:00:00+01:00', 'x')).toBe(Date.parse('2026-12-31T17:00:00Z'));
    expect(parseExpiry(new Date(5), 'x')).toBe(5);
    const set = compileFilterRules('- source: prometheus\n  expires: 2026-06-02\n');
    expect(set.match(obs(), Date.parse('2026-06-01T23:59:59Z'))).not.toBeNull();
    expect(set.match(obs(), Date.parse('2026-06-02T00:00:00Z'))).toBeNull();
  });

  test('an empty file is no rules', () => {
    expect(compileFilterRules('').rules).toEqual([]);
    expect(compileFilterRules('rules: []').rules).toEqual([]);
    expect(compileFilterRules('# nothing yet\n').rules).toEqual([]);
  });

  test.each([
    ['not YAML', '- [', /not valid YAML/],
    ['not a list', 'source: x', /expected a list/],
    ['no condition', '- comment: everything', /rules\[0\]: no condition/],
    ['an unknown key', '- sourc: x', /rules\[0\]\.sourc: unknown key/],
    ['a bad glob list', '- dest: []', /rules\[0\]\.dest/],
    ['a bad regex', '- dest: "/(/"', /rules\[0\]\.dest: invalid regular expression/],
    ['a bad expiry', '- dest: x\n  expires: next week', /rules\[0\]\.expires/],
    ['a duplicate name', '- {name: a, dest: x}\n- {name: a, dest: y}', /rules\[1\]\.name/],
    ['an empty attributes map', '- attributes: {}', /rules\[0\]\.attributes/],
  ])('rejects %s with a message naming the entry', (_what, text, message) => {
    expect(() => compileFilterRules(text)).toThrow(FilterRulesError);
    expect(() => compileFilterRules(text)).toThrow(message);
  });
});
