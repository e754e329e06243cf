import type { AlertContext, Severity } from '../../../src/core/alert';
import type { Assessment } from '../../../src/detect/alert-context';
import { compileFilterRules, FilterRulesError } from '../../../src/detect/filter-rules';
import { obs } from '../../helpers/observations';

const NOW = Date.parse('2026-06-01T00:00:00Z');

function assessed(kind: AlertContext['kind'], severity: Severity, crossNamespace = false): Assessment {
  return {
    severity,
    context: { kind, source_first_seen: null, dest_first_seen: null, source_peers: 0, dest_peers: 0, cross_namespace: crossNamespace },
  };
}

describe('filter rules: conditions on the alert context', () => {
  test('kind with a namespace glob: rollouts in ci-* namespaces, in one line', () => {
    const rules = compileFilterRules('- {kind: new_workload, source_namespace: "ci-*"}');
    const ci = obs({ t: NOW, srcNs: 'ci-1234' });
    expect(rules.match(ci, NOW, assessed('new_workload', 'low'))).not.toBeNull();
    expect(rules.match(ci, NOW, assessed('new_path', 'high'))).toBeNull();
    expect(rules.match(obs({ t: NOW, srcNs: 'shop' }), NOW, assessed('new_workload', 'low'))).toBeNull();
  });

  test('severity takes patterns and lists; kind globs too', () => {
    const rules = compileFilterRules('- {severity: [info, low]}\n- {kind: "new_proto*", dest: dns}');
    const o = obs({ t: NOW, dst: 'dns' });
    expect(rules.match(o, NOW, assessed('new_path', 'info'))?.label).toBe('rules[0]');
    expect(rules.match(o, NOW, assessed('new_path', 'low'))?.label).toBe('rules[0]');
    expect(rules.match(o, NOW, assessed('new_path', 'medium'))).toBeNull();
    expect(rules.match(o, NOW, assessed('new_protocol', 'medium'))?.label).toBe('rules[1]');
  });

  test('cross_namespace is a boolean', () => {
    const rules = compileFilterRules('- {cross_namespace: false, severity: medium}');
    expect(rules.match(obs({ t: NOW }), NOW, assessed('new_protocol', 'medium', false))).not.toBeNull();
    expect(rules.match(obs({ t: NOW }), NOW, assessed('new_protocol', 'medium', true))).toBeNull();
    expect(() => compileFilterRules('- {cross_namespace: "yes"}')).toThrow(/rules\[0\]\.cross_namespace: expected true or false/);
  });

  test('without an assessment (no context known) a context condition never matches; others still do', () => {
    const rules = compileFilterRules('- {kind: "*"}\n- {source: frontend}');
    expect(rules.match(obs({ t: NOW, src: 'other' }), NOW)).toBeNull();
    expect(rules.match(obs({ t: NOW, src: 'frontend' }), NOW)?.label).toBe('rules[1]');
  });

  test('context fields are named in the errors of an entry without conditions', () => {
    expect(() => compileFilterRules('- comment: nothing')).toThrow(FilterRulesError);
    expect(() => compileFilterRules('- comment: nothing')).toThrow(/kind, severity, cross_namespace/);
    expect(() => compileFilterRules('- {kinds: new_path}')).toThrow(/rules\[0\]\.kinds: unknown key/);
  });
});
