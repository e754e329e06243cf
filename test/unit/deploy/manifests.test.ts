/**
 * The deployment files agree with the service: docker-compose.yml and its collector and
 * Prometheus configs, the chart's templates (as text and as YAML with the template parts taken
 * out, or rendered when helm is installed) and the Dockerfile use the service's ports, probe
 * paths and EDGEWATCH_* variable names.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { parseDuration } from '../../../src/config/duration';
import { OPTIONS } from '../../../src/config/options';
import { HARD_STOP_MARGIN_MS } from '../../../src/cli/serve';
import { at, chartValues, describeWithTool, helmBinary, helmTemplate, ofKind, strippedDocs, templateNames, templateText, type Doc } from '../../helpers/chart';
import { execForm, parseDockerfile, stageEnv } from '../../helpers/dockerfile';
import { serviceNodeFlags } from '../../helpers/node-flags';

const ROOT = join(__dirname, '../../..');
const ENV_NAMES = new Set([...OPTIONS.map((o) => o.env), 'EDGEWATCH_CONFIG']);
const option = (key: string): (typeof OPTIONS)[number] => {
  const o = OPTIONS.find((x) => x.key === key);
  if (!o) throw new Error(`no option ${key}`);
  return o;
};
const portOf = (addr: string): number => Number(addr.split(':').pop());
/** The service's own default ports (README: 4317, 4318, 9464). */
const PORTS = {
  grpc: portOf(option('otlp_grpc_addr').default ?? ''),
  http: portOf(option('otlp_http_addr').default ?? ''),
  admin: portOf(option('admin_addr').default ?? ''),
};
const PROBES = { liveness: '/healthz', readiness: '/readyz' };
const adminSource = readFileSync(join(ROOT, 'src/admin/admin-server.ts'), 'utf8');
const yamlFile = (p: string): Doc => parse(readFileSync(join(ROOT, p), 'utf8')) as Doc;

test('the probe paths are routes of the admin server', () => {
  for (const path of Object.values(PROBES)) expect(adminSource).toContain(`case '${path}':`);
  expect(PORTS).toEqual({ grpc: 4317, http: 4318, admin: 9464 });
});

describe('docker-compose.yml', () => {
  const compose = yamlFile('docker-compose.yml');
  const services = compose.services as Record<string, Doc>;
  const ew = services.edgewatch;
  const ewEnv = ew.environment as Record<string, string>;

  test('has Redis, edgewatch on Redis, a collector, a webhook receiver and Prometheus', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['redis', 'edgewatch', 'otel-collector', 'webhook', 'prometheus']));
    expect(String(at(services, 'otel-collector.image'))).toMatch(/^otel\/opentelemetry-collector-contrib:/);
    expect(ewEnv.EDGEWATCH_STORE).toBe('redis://redis:6379');
  });

  test('edgewatch variables are names the service reads', () => {
    expect(Object.keys(ewEnv).filter((k) => !ENV_NAMES.has(k))).toEqual([]);
  });

  test('the webhook URL points at the echo receiver and its port', () => {
    const url = new URL(ewEnv.EDGEWATCH_WEBHOOK_URL);
    expect(url.hostname).toBe('webhook');
    expect(String(at(services, 'webhook.environment.HTTP_PORT'))).toBe(url.port);
  });

  test('stop_grace_period outlasts shutdown_timeout plus the hard-stop margin', () => {
    const grace = parseDuration(String(ew.stop_grace_period)) ?? 0;
    const timeout = parseDuration(ewEnv.EDGEWATCH_SHUTDOWN_TIMEOUT ?? option('shutdown_timeout').default ?? '') ?? 0;
    expect(grace).toBeGreaterThan(timeout);
    expect(grace).toBeLessThanOrEqual(timeout + HARD_STOP_MARGIN_MS);
  });

  test('only the admin port of edgewatch is published, on loopback, at the service port', () => {
    expect(ew.ports).toEqual([`127.0.0.1:${PORTS.admin}:${PORTS.admin}`]);
  });

  test('mounted config files exist', () => {
    for (const svc of Object.values(services)) {
      for (const v of (svc.volumes ?? []) as string[]) {
        if (v.startsWith('./')) expect(existsSync(join(ROOT, v.split(':')[0]))).toBe(true);
      }
    }
  });

  describe('deploy/compose/otel-collector.yaml', () => {
    const col = yamlFile('deploy/compose/otel-collector.yaml');
    const exporters = col.exporters as Record<string, Doc>;
    const [name, exporter] = Object.entries(exporters).find(([k]) => k === 'otlp' || k.startsWith('otlp/')) ?? ['', {}];

    test('an otlp exporter to edgewatch:4317 with a sending queue and retries', () => {
      expect(exporter.endpoint).toBe(`edgewatch:${PORTS.grpc}`);
      expect(at(exporter, 'sending_queue.enabled')).toBe(true);
      expect(at(exporter, 'retry_on_failure.enabled')).toBe(true);
    });

    test('sends the bearer token edgewatch requires, from the same variable', () => {
      expect(at(exporter, 'headers.authorization')).toBe('Bearer ${env:EDGEWATCH_AUTH_TOKEN}');
      const colEnv = at(services, 'otel-collector.environment') as Record<string, string>;
      expect(colEnv.EDGEWATCH_AUTH_TOKEN).toBe(ewEnv.EDGEWATCH_AUTH_TOKEN);
    });

    test('a resource processor stamps the attribute edgewatch reads the cluster from, in the pipeline', () => {
      const [procName, proc] = Object.entries(col.processors as Record<string, Doc>).find(([k]) => k.startsWith('resource')) ?? ['', {}];
      const attrs = (proc.attributes ?? []) as Array<{ key: string; action: string }>;
      expect(attrs).toContainEqual(expect.objectContaining({ key: option('cluster_attr').default, action: 'upsert' }));
      const pipelines = Object.values(at(col, 'service.pipelines') as Record<string, Doc>);
      expect(pipelines.some((p) => (p.processors as string[]).includes(procName) && (p.exporters as string[]).includes(name))).toBe(true);
    });
  });

  test('deploy/compose/prometheus.yml scrapes edgewatch:9464/metrics', () => {
    const prom = yamlFile('deploy/compose/prometheus.yml');
    const job = (prom.scrape_configs as Doc[]).find((j) => j.job_name === 'edgewatch');
    expect(at(job, 'metrics_path') ?? '/metrics').toBe('/metrics');
    expect(at(job, 'static_configs.0.targets')).toEqual([`edgewatch:${PORTS.admin}`]);
  });
});

describe('helm/edgewatch templates', () => {
  const values = chartValues();

  test('every template is still YAML once its template actions are taken out', () => {
    for (const name of templateNames().filter((n) => n.endsWith('.yaml'))) expect(() => strippedDocs(name)).not.toThrow();
  });

  test('the Service exposes grpc, http and metrics at the service ports, with appProtocol', () => {
    const svc = strippedDocs('service.yaml')[0];
    const ports = at(svc, 'spec.ports') as Array<{ name: string; targetPort: string; appProtocol?: string }>;
    expect(ports.map((p) => [p.name, p.targetPort])).toEqual([['grpc', 'grpc'], ['http', 'http'], ['metrics', 'metrics']]);
    for (const p of ports) expect(p.appProtocol).toBeDefined();
    expect(values.service).toMatchObject({ ports: { grpc: PORTS.grpc, http: PORTS.http, metrics: PORTS.admin } });
  });

  test('container ports follow the listen addresses in values.config', () => {
    const text = templateText('deployment.yaml');
    for (const [name, key] of [['grpc', 'otlp_grpc_addr'], ['http', 'otlp_http_addr'], ['metrics', 'admin_addr']]) {
      expect(text).toMatch(new RegExp(`- name: ${name}\\s+containerPort: \\{\\{ include "edgewatch.port" \\.Values\\.config\\.${key} \\}\\}`));
    }
  });

  test('probes: /healthz liveness and /readyz readiness on the admin port', () => {
    expect(values.livenessProbe).toMatchObject({ httpGet: { path: PROBES.liveness, port: 'metrics' } });
    expect(values.readinessProbe).toMatchObject({ httpGet: { path: PROBES.readiness, port: 'metrics' } });
  });

  test('EDGEWATCH_* names in templates are variables the service reads', () => {
    const names = templateNames().flatMap((n) => templateText(n).match(/EDGEWATCH_[A-Z_]+/g) ?? []);
    // EDGEWATCH_ followed by a template (the Secret's keys) is checked against values.secrets below.
    expect([...new Set(names)].filter((n) => n !== 'EDGEWATCH_' && !ENV_NAMES.has(n))).toEqual([]);
    expect(templateText('secret.yaml')).toContain('EDGEWATCH_{{ upper $key }}');
    for (const key of Object.keys(values.secrets as Doc)) expect(ENV_NAMES.has(`EDGEWATCH_${key.toUpperCase()}`)).toBe(true);
  });

  test('the config file is mounted where EDGEWATCH_CONFIG points, from the ConfigMap key', () => {
    const dep = strippedDocs('deployment.yaml')[0];
    const container = at(dep, 'spec.template.spec.containers.0') as Doc;
    const env = container.env as Array<{ name: string; value: string }>;
    const path = env.find((e) => e.name === 'EDGEWATCH_CONFIG')?.value ?? '';
    const mount = (container.volumeMounts as Array<{ name: string; mountPath: string; subPath?: string }>).find((m) => m.name === 'config');
    expect(mount?.mountPath).toBe(path);
    expect(Object.keys(at(strippedDocs('configmap.yaml')[0], 'data') as Doc)).toEqual([mount?.subPath]);
  });

  test('hardened: non-root as the image user, read-only root, seccomp RuntimeDefault, no capabilities', () => {
    const user = parseDockerfile(join(ROOT, 'Dockerfile')).pop()?.instructions.find((i) => i.op === 'USER')?.args;
    expect(values.podSecurityContext).toMatchObject({ runAsNonRoot: true, runAsUser: Number(user?.split(':')[0]), seccompProfile: { type: 'RuntimeDefault' } });
    expect(values.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
  });

  test('the grace period covers preStop, shutdown_timeout and the hard-stop margin', () => {
    const cfg = values.config as Record<string, string>;
    const needed = Number(values.preStopSleepSeconds) * 1000 + (parseDuration(cfg.shutdown_timeout) ?? 0) + HARD_STOP_MARGIN_MS;
    expect(Number(values.terminationGracePeriodSeconds) * 1000).toBeGreaterThanOrEqual(needed);
  });

  test('NOTES.txt shows a collector otlp exporter for the Service gRPC port', () => {
    const notes = templateText('NOTES.txt');
    expect(notes).toMatch(/exporters:\s+otlp\/edgewatch:\s+endpoint: \{\{ include "edgewatch.fullname" \. \}\}\.\{\{ \.Release\.Namespace \}\}\.svc:\{\{ \.Values\.service\.ports\.grpc \}\}/);
    expect(notes).toContain('sending_queue');
  });

  describeWithTool('helm', helmBinary(), 'rendered by helm template', (helm) => {
    const full = {
      'config.store': 'redis://redis:6379', replicaCount: '2', 'autoscaling.enabled': 'true', 'podDisruptionBudget.enabled': 'true',
      'networkPolicy.enabled': 'true', 'serviceMonitor.enabled': 'true', 'tls.enabled': 'true', 'tls.secretName': 'ew-tls', 'tls.clientAuth': 'true',
    };

    test('ports, probes and variable names of the Deployment agree with the service', () => {
      const docs = helmTemplate(helm, full);
      const container = at(ofKind(docs, 'Deployment'), 'spec.template.spec.containers.0') as Doc;
      const ports = Object.fromEntries((container.ports as Array<{ name: string; containerPort: number }>).map((p) => [p.name, p.containerPort]));
      expect(ports).toEqual({ grpc: PORTS.grpc, http: PORTS.http, metrics: PORTS.admin });
      expect(at(container, 'livenessProbe.httpGet.path')).toBe(PROBES.liveness);
      expect(at(container, 'readinessProbe.httpGet.path')).toBe(PROBES.readiness);
      const env = (container.env as Array<{ name: string }>).map((e) => e.name);
      expect(env.filter((n) => !ENV_NAMES.has(n))).toEqual([]);
      expect(env).toEqual(expect.arrayContaining(['EDGEWATCH_TLS_CERT_FILE', 'EDGEWATCH_TLS_KEY_FILE', 'EDGEWATCH_TLS_CLIENT_CA_FILE']));
      for (const kind of ['Service', 'ServiceMonitor', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy', 'ConfigMap', 'Secret']) {
        expect(ofKind(docs, kind)).toBeDefined();
      }
    });

    test('a SQLite store with more than one replica is refused', () => {
      expect(() => helmTemplate(helm, { replicaCount: '2' })).toThrow(/SQLite/);
    });
  });
});

test('the Dockerfile exposes the service ports and health-checks the liveness path', () => {
  const runtime = parseDockerfile(join(ROOT, 'Dockerfile')).pop();
  if (!runtime) throw new Error('no stage');
  const expose = runtime.instructions.filter((i) => i.op === 'EXPOSE').flatMap((i) => i.args.split(' ').map(Number));
  expect(expose.sort()).toEqual([PORTS.grpc, PORTS.http, PORTS.admin].sort());
  const health = runtime.instructions.find((i) => i.op === 'HEALTHCHECK')?.args ?? '';
  expect(health).toContain(`'${PROBES.liveness}'`);
  expect(health).toContain(`'0.0.0.0:${PORTS.admin}'`);
  expect(Object.keys(stageEnv(runtime)).filter((k) => k.startsWith('EDGEWATCH_') && !ENV_NAMES.has(k))).toEqual([]);
  expect(execForm(runtime.instructions.find((i) => i.op === 'ENTRYPOINT')?.args ?? '[]').slice(2)).toEqual(['node', ...serviceNodeFlags(), 'bin/edgewatch.js', 'serve']);
});

test('the service runs with a heap floor wherever it is started (npm start, the image)', () => {
  // Without it V8 runs a full GC every ~25 requests under load (README "Performance").
  expect(serviceNodeFlags()).toContain('--initial-heap-size=128');
});
