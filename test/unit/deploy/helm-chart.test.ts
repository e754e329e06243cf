/**
 * helm/edgewatch through the real helm: `helm lint --strict` and `helm template` for every
 * combination of values the chart supports (each feature on its own, and all at once), what each
 * renders, and the combinations it refuses with a message (the `tls.enabled needs
 * tls.secretName` and SQLite-with-several-replicas guards). In CI helm is always installed
 * (.ci/run); elsewhere these tests skip without it.
 */
import { loadConfig } from '../../../src/config/config';
import { at, describeWithTool, helmBinary, helmLint, helmRender, ofKind, type Doc, type HelmValues } from '../../helpers/chart';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REDIS = { 'config.store': 'redis://redis.security.svc:6379' };
const TLS = { 'tls.enabled': 'true', 'tls.secretName': 'ew-tls' };

/** Supported combinations: name, values, and the optional kinds each renders. */
const SUPPORTED: Array<[string, HelmValues, string[]]> = [
  ['defaults: SQLite on an emptyDir, one replica', {}, []],
  ['SQLite on a new PersistentVolumeClaim', { sets: { 'persistence.enabled': 'true' } }, ['PersistentVolumeClaim']],
  ['SQLite on an existing claim', { sets: { 'persistence.enabled': 'true', 'persistence.existingClaim': 'ew-data' } }, []],
  ['Redis, three replicas', { sets: { ...REDIS, replicaCount: '3' } }, []],
  ['Redis Cluster with a password', { sets: { 'config.store': 'redis-cluster://r-0.r:6379\\,r-1.r:6379', 'secrets.redis_password': 'pw', replicaCount: '2' } }, []],
  ['Redis with autoscaling', { sets: { ...REDIS, 'autoscaling.enabled': 'true' } }, ['HorizontalPodAutoscaler']],
  ['PodDisruptionBudget by minAvailable', { sets: { ...REDIS, replicaCount: '2', 'podDisruptionBudget.enabled': 'true' } }, ['PodDisruptionBudget']],
  ['PodDisruptionBudget by maxUnavailable', { sets: { ...REDIS, replicaCount: '2', 'podDisruptionBudget.enabled': 'true', 'podDisruptionBudget.maxUnavailable': '1' } }, ['PodDisruptionBudget']],
  ['NetworkPolicy, ingress only', { sets: { 'networkPolicy.enabled': 'true' } }, ['NetworkPolicy']],
  ['NetworkPolicy with egress rules', { sets: { 'networkPolicy.enabled': 'true' }, values: { networkPolicy: { egress: [{ to: [{ namespaceSelector: {} }] }] } } }, ['NetworkPolicy']],
  ['ServiceMonitor', { sets: { 'serviceMonitor.enabled': 'true', 'serviceMonitor.labels.release': 'prom' } }, ['ServiceMonitor']],
  ['TLS from a Secret', { sets: TLS }, []],
  ['mTLS (client certificates)', { sets: { ...TLS, 'tls.clientAuth': 'true' } }, []],
  ['secrets set', { sets: { 'secrets.auth_token': 't', 'secrets.webhook_secret': 's', 'secrets.admin_token': 'a' } }, []],
  ['an existing Secret instead of the chart\'s', { sets: { existingSecret: 'ew-secrets' } }, []],
  ['sinks with secrets from extraSecretEnv', { values: { config: { sinks: [{ type: 'slack', url: '${SLACK_WEBHOOK_URL}' }] }, extraSecretEnv: { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x' } } }, []],
  ['a service account of your own', { sets: { 'serviceAccount.create': 'false', 'serviceAccount.name': 'ew' } }, []],
  ['no preStop sleep', { sets: { preStopSleepSeconds: '0' } }, []],
  ['extra env, volumes and scheduling', { values: { extraEnv: [{ name: 'TZ', value: 'UTC' }], extraVolumes: [{ name: 'rules', configMap: { name: 'ew-rules' } }], extraVolumeMounts: [{ name: 'rules', mountPath: '/etc/edgewatch/rules' }], config: { rules_file: '/etc/edgewatch/rules/rules.yaml' }, nodeSelector: { 'kubernetes.io/os': 'linux' }, tolerations: [{ operator: 'Exists' }], priorityClassName: 'high', podAnnotations: { a: 'b' } } }, []],
  ['everything at once (Redis)', { sets: { ...REDIS, ...TLS, 'tls.clientAuth': 'true', 'autoscaling.enabled': 'true', 'podDisruptionBudget.enabled': 'true', 'networkPolicy.enabled': 'true', 'serviceMonitor.enabled': 'true', 'secrets.auth_token': 't' } }, ['HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy', 'ServiceMonitor']],
];

/** Combinations the chart refuses, and the message that says why. */
const REFUSED: Array<[string, HelmValues, RegExp]> = [
  ['SQLite with more than one replica', { sets: { replicaCount: '2' } }, /SQLite/],
  ['SQLite with autoscaling', { sets: { 'autoscaling.enabled': 'true' } }, /SQLite/],
  ['tls.enabled without tls.secretName', { sets: { 'tls.enabled': 'true' } }, /tls\.enabled needs tls\.secretName/],
];

const container = (docs: Doc[]): Doc => at(ofKind(docs, 'Deployment'), 'spec.template.spec.containers.0') as Doc;

describeWithTool('helm', helmBinary(), 'helm/edgewatch with the real helm', (helm) => {
  describe.each(SUPPORTED)('%s', (_name, values, kinds) => {
    let docs: Doc[] = [];
    beforeAll(() => {
      docs = helmRender(helm, values);
    });

    test('helm lint --strict passes', () => {
      const r = helmLint(helm, values);
      expect(r.output).not.toMatch(/\[(ERROR|WARNING)\]/);
      expect(r.ok).toBe(true);
    });

    test('renders the Deployment, Service and ConfigMap, and exactly the optional kinds it asks for', () => {
      const optional = ['PersistentVolumeClaim', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy', 'ServiceMonitor'];
      for (const kind of ['Deployment', 'Service', 'ConfigMap']) expect(ofKind(docs, kind)).toBeDefined();
      expect(optional.filter((k) => ofKind(docs, k) !== undefined).sort()).toEqual([...kinds].sort());
      // The chart's Secret is always there, except when the release uses an existing one.
      expect(ofKind(docs, 'Secret') === undefined).toBe(values.sets?.existingSecret !== undefined);
    });

    test('the rendered config file and Secret are a configuration the service loads', () => {
      const file = (at(ofKind(docs, 'ConfigMap'), 'data') as Record<string, string>)['edgewatch.yaml'];
      const env = { ...((at(ofKind(docs, 'Secret'), 'stringData') ?? {}) as Record<string, string>) };
      const dir = mkdtempSync(join(tmpdir(), 'ew-render-'));
      try {
        writeFileSync(join(dir, 'edgewatch.yaml'), file);
        const cfg = loadConfig({ file: join(dir, 'edgewatch.yaml'), env });
        // A SQLite file means one pod and Recreate: two pods must never open it at once.
        const strategy = at(ofKind(docs, 'Deployment'), 'spec.strategy.type');
        expect(strategy).toBe(cfg.store.startsWith('sqlite:') ? 'Recreate' : 'RollingUpdate');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('TLS files are mounted where the variables point', () => {
      const c = container(docs);
      const env = Object.fromEntries(((c.env ?? []) as Array<{ name: string; value?: string }>).map((e) => [e.name, e.value]));
      const mounts = (c.volumeMounts ?? []) as Array<{ name: string; mountPath: string }>;
      const tlsMount = mounts.find((m) => m.name === 'tls');
      const enabled = values.sets?.['tls.enabled'] === 'true';
      expect(tlsMount !== undefined).toBe(enabled);
      for (const name of ['EDGEWATCH_TLS_CERT_FILE', 'EDGEWATCH_TLS_KEY_FILE']) {
        if (enabled) expect(env[name]?.startsWith(`${tlsMount?.mountPath}/`)).toBe(true);
        else expect(env[name]).toBeUndefined();
      }
    });
  });

  // helm lint reports a template's `fail` only as [INFO], so the refusal is checked on helm template.
  test.each(REFUSED)('refused by helm template: %s', (_name, values, message) => {
    expect(() => helmRender(helm, values)).toThrow(message);
  });
});
