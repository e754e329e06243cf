import { parseAllDocuments } from 'yaml';
import { isExternal, networkPoliciesYaml, type NamespaceIndex } from '../../../src/admin/network-policy';
import type { Protocol } from '../../../src/core/observation';
import type { EdgeRecord } from '../../../src/store/store';

const edge = (source: string, dest: string, protocol: Protocol = 'tcp'): EdgeRecord => ({ key: { scope: 'prod-eu', protocol, source, dest }, lastSeenMs: 1 });

interface Policy {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    podSelector: { matchLabels: Record<string, string> };
    policyTypes: string[];
    ingress: Array<{ from: Array<{ podSelector: { matchLabels: Record<string, string> }; namespaceSelector: { matchLabels?: Record<string, string> } }>; ports: Array<{ protocol: string }> }>;
  };
}

function parse(text: string): { policies: Policy[]; comments: string } {
  const docs = parseAllDocuments(text);
  for (const d of docs) expect(d.errors).toEqual([]);
  return { policies: docs.map((d) => d.toJSON() as Policy), comments: text.split('\n').filter((l) => l.startsWith('#')).join('\n') };
}

describe('NetworkPolicy export', () => {
  test('one policy per destination workload allowing the seen sources, by protocol, namespaces where known', () => {
    const ns: NamespaceIndex = new Map([
      ['frontend', new Set(['shop'])],
      ['payments', new Set(['shop'])],
      ['cron', new Set(['batch', 'ops'])],
    ]);
    const edges = [edge('frontend', 'payments'), edge('frontend', 'payments', 'udp'), edge('cron', 'payments'), edge('(internet)', 'frontend'), edge('orphan', 'frontend'), edge('frontend', 'api.stripe.com')];
    const { policies, comments } = parse(networkPoliciesYaml(edges, ns, { cluster: 'prod-eu', nowMs: 0 }));
    expect(policies.map((p) => p.metadata.name)).toEqual(['edgewatch-allow-to-frontend', 'edgewatch-allow-to-payments']);
    const [frontend, payments] = policies;
    expect(payments).toMatchObject({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { namespace: 'shop', labels: { 'app.kubernetes.io/managed-by': 'edgewatch' }, annotations: { 'edgewatch.io/cluster': 'prod-eu' } },
      spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'payments' } }, policyTypes: ['Ingress'] },
    });
    expect(payments.spec.ingress).toEqual([
      {
        from: [
          { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'cron' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'batch' } } },
          { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'cron' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ops' } } },
        ],
        ports: [{ protocol: 'TCP' }],
      },
      {
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'frontend' } }, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } }],
        ports: [{ protocol: 'TCP' }, { protocol: 'UDP' }],
      },
    ]);
    // A source of unknown namespace: any namespace (a bare podSelector would mean the policy's own).
    expect(frontend.metadata.namespace).toBe('shop');
    expect(frontend.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'orphan' } }, namespaceSelector: {} }], ports: [{ protocol: 'TCP' }] }]);
    // External endpoints are comments.
    expect(comments).toContain('(internet) (tcp)');
    expect(comments).toContain('frontend → api.stripe.com (tcp)');
  });

  test('unknown destination namespace: no metadata.namespace and a note; odd names get a valid, unique metadata.name', () => {
    const { policies, comments } = parse(networkPoliciesYaml([edge('a', 'Big_Service'), edge('a', 'big-service')], new Map(), { cluster: 'c', nowMs: 0 }));
    expect(policies).toHaveLength(2);
    for (const p of policies) {
      expect(p.metadata.namespace).toBeUndefined();
      expect(p.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    }
    expect(new Set(policies.map((p) => p.metadata.name)).size).toBe(2);
    expect(comments).toContain('namespace of this workload unknown');
  });

  test('no edges: a comment only, still valid YAML', () => {
    const text = networkPoliciesYaml([edge('x', '(internet)')], new Map(), { cluster: 'c', nowMs: 0 });
    expect(parseAllDocuments(text).every((d) => d.errors.length === 0)).toBe(true);
    expect(text).toContain('No edges to workloads in the cluster');
  });

  test.each([
    ['(internet)', true],
    ['(unknown)', true],
    ['api.stripe.com', true],
    ['frontend', false],
    ['front_end-2', false],
  ])('%s external: %s', (name, ext) => {
    expect(isExternal(name)).toBe(ext);
  });
});
