/**
 * deploy/sidecar/: edgewatch in the OpenTelemetry collector's pod, for the opentelemetry-collector
 * chart (native sidecar and the extraContainers fallback), the Operator's OpenTelemetryCollector
 * and the splunk-otel-collector gateway (post-renderer). Each file parses; the edgewatch
 * container's env is a configuration edgewatch's own loader accepts, with the addresses of
 * src/config/sidecar.ts; its ports and probes agree with that configuration and clash with none
 * of the collector's default ports; the collector's OTLP gRPC exporter in a metrics pipeline
 * points at localhost:<sidecar gRPC port>. The charts and the Operator are not on this machine
 * to render the files, so their structure is checked; the splunk post-renderer runs for real, on
 * its own and under `helm template --post-renderer` (kubectl/kustomize and helm: in CI always).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../../src/config/config';
import { OPTIONS } from '../../../src/config/options';
import { COLLECTOR_DEFAULT_PORTS, collectorPortClashes, portOf, SIDECAR_ADDRS, SIDECAR_ENV } from '../../../src/config/sidecar';
import { at, describeWithTool, helmBinary, kustomizeTool } from '../../helpers/chart';
import { parseDockerfile } from '../../helpers/dockerfile';
import { otlpGrpcExporters, readYaml, readYamlDocs, ROOT, sidecarShapes, type Container, type Doc, type SidecarShape } from '../../helpers/sidecar-manifests';

const SECRETS = { 'redis-password': 'pw', 'admin-token': 'admin-tok', 'webhook-url': 'https://hooks.example.com/edgewatch' };
const ENV_NAMES = new Set(OPTIONS.map((o) => o.env));
const shapes = sidecarShapes();
const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const imageUser = Number(parseDockerfile(join(ROOT, 'Dockerfile')).pop()?.instructions.find((i) => i.op === 'USER')?.args.split(':')[0]);

const envOf = (c: Container): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const e of c.env) {
    const ref = e.valueFrom?.secretKeyRef;
    if (!ref) env[e.name] = e.value ?? '';
    else if (ref.key in SECRETS) env[e.name] = SECRETS[ref.key as keyof typeof SECRETS];
    else if (!ref.optional) throw new Error(`${e.name}: no test value for Secret key ${ref.key}`);
  }
  return env;
};
const configOf = (s: SidecarShape): ReturnType<typeof loadConfig> => loadConfig({ env: envOf(s.container) });
/** A probe's port by number: a named port is looked up in the container's ports. */
const probePort = (c: Container, port: string | number | undefined): number | undefined =>
  typeof port === 'number' ? port : c.ports?.find((p) => p.name === port)?.containerPort;
const hostOf = (addr: string): string => addr.slice(0, addr.lastIndexOf(':'));

test('the sidecar addresses clash with none of the collector default ports, and the receivers are on loopback', () => {
  expect(Object.keys(COLLECTOR_DEFAULT_PORTS).map(Number).sort((a, b) => a - b)).toEqual([1777, 4317, 4318, 6831, 6832, 8888, 8889, 9411, 13133, 14250, 14268, 55679]);
  expect(collectorPortClashes(Object.values(SIDECAR_ADDRS))).toEqual([]);
  expect(new Set(Object.values(SIDECAR_ADDRS).map(portOf)).size).toBe(3);
  expect([hostOf(SIDECAR_ADDRS.otlpGrpcAddr), hostOf(SIDECAR_ADDRS.otlpHttpAddr)]).toEqual(['127.0.0.1', '127.0.0.1']);
  // The service's own defaults stay what the interface contract says (they are what clashes).
  const defaults = OPTIONS.filter((o) => o.type === 'addr').map((o) => o.default ?? '');
  expect(defaults).toEqual(['0.0.0.0:4317', '0.0.0.0:4318', '0.0.0.0:9464']);
  expect(collectorPortClashes(defaults).map((c) => c.port)).toEqual([4317, 4318]);
  expect(Object.keys(SIDECAR_ENV).filter((k) => !ENV_NAMES.has(k))).toEqual([]);
});

describe.each(shapes.map((s) => [s.name, s] as const))('%s', (_name, shape) => {
  const c = shape.container;

  test('its env is a configuration edgewatch loads, listening on the sidecar addresses', () => {
    expect(c.env.map((e) => e.name).filter((n) => !ENV_NAMES.has(n))).toEqual([]);
    for (const [name, value] of Object.entries(SIDECAR_ENV)) expect(c.env.find((e) => e.name === name)?.value).toBe(value);
    const cfg = configOf(shape);
    expect({ otlpGrpcAddr: cfg.otlpGrpcAddr, otlpHttpAddr: cfg.otlpHttpAddr, adminAddr: cfg.adminAddr }).toEqual(SIDECAR_ADDRS);
    expect(collectorPortClashes([cfg.otlpGrpcAddr, cfg.otlpHttpAddr, cfg.adminAddr])).toEqual([]);
  });

  test('only the admin port is a container port; probes: startup and liveness /healthz on it, no readiness probe (a store outage must not unready the collector pod)', () => {
    const admin = portOf(configOf(shape).adminAddr);
    expect((c.ports ?? []).map((p) => p.containerPort)).toEqual([admin]);
    expect(c.startupProbe?.httpGet?.path).toBe('/healthz');
    expect(c.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(c.readinessProbe).toBeUndefined();
    for (const p of [c.startupProbe, c.livenessProbe]) expect(probePort(c, p?.httpGet?.port)).toBe(admin);
    for (const p of c.ports ?? []) expect(COLLECTOR_DEFAULT_PORTS[p.containerPort]).toBeUndefined();
  });

  test('lifecycle: up before the collector and down after it, within the grace period', () => {
    const shutdownMs = configOf(shape).shutdownTimeoutMs;
    if (shape.native) {
      // An init container that keeps running: started (startupProbe) before the collector, stopped after it.
      expect(c.restartPolicy).toBe('Always');
      expect(c.startupProbe).toBeDefined();
      expect(c.lifecycle?.preStop).toBeUndefined();
      expect(shutdownMs).toBeLessThan(shape.graceSeconds * 1000);
    } else {
      // A plain container gets SIGTERM with the collector: the sleep keeps it up while the collector flushes.
      expect(c.restartPolicy).toBeUndefined();
      const [cmd, seconds] = c.lifecycle?.preStop?.exec?.command ?? [];
      expect(cmd).toBe('sleep');
      expect(Number(seconds)).toBeGreaterThan(0);
      expect(Number(seconds) * 1000 + shutdownMs).toBeLessThan(shape.graceSeconds * 1000);
    }
  });

  test('store: the files run several replicas, so one Redis for all of them, its password from the Secret', () => {
    const cfg = configOf(shape);
    // Shipped for several replicas, so Redis; a SQLite file would be one baseline per pod.
    expect(shape.replicas).toBeGreaterThan(1);
    expect(cfg.store).toMatch(/^redis:\/\//);
    expect(cfg.redisPassword).toBe(SECRETS['redis-password']);
    // deploy/sidecar/redis.yaml is the Redis the URL names, with the same Secret key.
    const [svc, sts] = readYamlDocs('deploy/sidecar/redis.yaml');
    const url = new URL(cfg.store);
    expect(url.hostname).toBe((svc.metadata as Doc).name);
    expect(Number(url.port)).toBe(((svc.spec as Doc).ports as Array<{ port: number }>)[0].port);
    const redisEnv = (JSON.stringify(sts).match(/"key":"([^"]+)"/) ?? [])[1];
    expect(c.env.find((e) => e.name === 'EDGEWATCH_REDIS_PASSWORD')?.valueFrom?.secretKeyRef?.key).toBe(redisEnv);
  });

  test("the collector's OTLP gRPC exporter in a metrics pipeline points at localhost:<sidecar gRPC port>", () => {
    const exporters = otlpGrpcExporters(shape.collector).filter((e) => e.pipelines.length > 0);
    expect(exporters).toHaveLength(1);
    const [ex] = exporters;
    expect(['otlp_grpc', 'otlp']).toContain(ex.type);
    expect(ex.spec.endpoint).toBe(`localhost:${portOf(configOf(shape).otlpGrpcAddr)}`);
    expect((ex.spec.tls as Doc).insecure).toBe(true);
    // gzip is the exporter's default; edgewatch accepts it (and none).
    expect([undefined, 'gzip', 'none']).toContain(ex.spec.compression);
    expect((ex.spec.sending_queue as Doc).enabled).toBe(true);
    expect((ex.spec.retry_on_failure as Doc).enabled).toBe(true);
    for (const [name, pipeline] of ex.pipelines) {
      expect(name).toMatch(/^metrics(\/|$)/);
      expect(pipeline.receivers).toContain('otlp');
      const defined = [...Object.keys((shape.collector.processors ?? {}) as Doc), ...shape.toolProcessors];
      expect(((pipeline.processors ?? []) as string[]).filter((p) => !defined.includes(p))).toEqual([]);
    }
  });

  test('the filter before edgewatch passes exactly the metrics edgewatch watches', () => {
    const filter = ((shape.collector.processors ?? {}) as Record<string, Doc>)['filter/edgewatch'];
    const [condition] = (at(filter, 'metrics.metric') ?? []) as string[];
    const dropped = condition.split(' and ').map((term) => /^name != "([^"]+)"$/.exec(term.trim())?.[1]);
    expect(dropped.sort()).toEqual([...configOf(shape).metrics].sort());
  });

  test("Prometheus scrapes edgewatch's admin port", () => {
    expect(shape.podAnnotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(portOf(configOf(shape).adminAddr)), 'prometheus.io/path': '/metrics' });
  });

  test('every mount has a volume in the pod; hardened as the image user; resources; the image of this version', () => {
    const volumes = shape.podVolumes.map((v) => v.name);
    expect((c.volumeMounts ?? []).filter((m) => !volumes.includes(m.name))).toEqual([]);
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: imageUser, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.resources?.requests).toBeDefined();
    expect(c.resources?.limits?.memory).toBeDefined();
    expect(c.image.split(':').pop()).toBe(version);
    // A name of its own: not the collector's container (the Operator's otc-container and so on).
    expect(shape.containerNames.filter((n) => n === c.name)).toHaveLength(1);
  });
});

/** The container minus what the way of running it changes. */
const comparable = (c: Container): Container => ({ ...c, restartPolicy: undefined, lifecycle: undefined });

test('one edgewatch container in every file: the same env, ports, probes, resources, security and mounts', () => {
  const [first, ...rest] = shapes;
  for (const s of rest) expect([s.name, comparable(s.container)]).toEqual([s.name, comparable(first.container)]);
});

test('one exporter block in the three collectors', () => {
  const blocks = shapes.map((s) => otlpGrpcExporters(s.collector).find((e) => e.pipelines.length > 0)?.spec);
  for (const b of blocks.slice(1)) expect(b).toEqual(blocks[0]);
});

test('opentelemetry-collector chart: a workload mode, an image, nothing the chart would template', () => {
  const values = readYaml('deploy/sidecar/opentelemetry-collector/values.yaml');
  expect(['deployment', 'daemonset', 'statefulset']).toContain(values.mode);
  // The chart requires image.repository since 0.89.
  expect(at(values, 'image.repository')).toEqual(expect.any(String));
  // templates/_pod.tpl passes initContainers and extraContainers (and extraVolumes) through tpl.
  for (const f of ['values.yaml', 'extra-containers.yaml']) {
    const v = readYaml(`deploy/sidecar/opentelemetry-collector/${f}`);
    expect(JSON.stringify([v.initContainers, v.extraContainers, v.extraVolumes])).not.toContain('{{');
  }
  expect(readYaml('deploy/sidecar/opentelemetry-collector/extra-containers.yaml').initContainers).toEqual([]);
});

test('Operator: an opentelemetry.io/v1beta1 OpenTelemetryCollector in a mode that takes extra containers', () => {
  const cr = readYaml('deploy/sidecar/opentelemetry-operator/collector.yaml');
  expect([cr.apiVersion, cr.kind]).toEqual(['opentelemetry.io/v1beta1', 'OpenTelemetryCollector']);
  // The CRD rejects additionalContainers in the Operator's own sidecar mode.
  expect(['deployment', 'daemonset', 'statefulset']).toContain(at(cr, 'spec.mode'));
  expect(at(cr, 'spec.config.service.extensions')).toContain('health_check');
});

describe('splunk-otel-collector: values and the post-renderer', () => {
  const dir = join(ROOT, 'deploy/sidecar/splunk-otel-collector');

  test('the kustomization patches the gateway workload with the edgewatch patch; the script is an executable shell script', () => {
    const k = readYaml('deploy/sidecar/splunk-otel-collector/kustomization.yaml');
    expect(k.resources).toEqual(['all.yaml']);
    expect(k.patches).toEqual([{ path: 'edgewatch-patch.yaml', target: { kind: 'Deployment|StatefulSet', labelSelector: 'component=otel-collector' } }]);
    expect(statSync(join(dir, 'post-render.sh')).mode & 0o111).not.toBe(0);
    expect(spawnSync('sh', ['-n', join(dir, 'post-render.sh')]).status).toBe(0);
    expect(at(readYaml('deploy/sidecar/splunk-otel-collector/values.yaml'), 'gateway.enabled')).toBe(true);
  });

  describeWithTool('kubectl or kustomize', kustomizeTool(), 'post-render.sh on the chart rendered', () => {
    // The gateway as templates/gateway-workload.yaml renders it (trimmed), beside the agent
    // DaemonSet and the cluster receiver, which must stay as they are.
    const rendered = `---
# Source: splunk-otel-collector/templates/gateway-workload.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: splunk-otel-collector
  labels: {app: splunk-otel-collector, component: otel-collector, release: splunk-otel-collector}
spec:
  replicas: 2
  selector: {matchLabels: {app: splunk-otel-collector, component: otel-collector, release: splunk-otel-collector}}
  template:
    metadata: {labels: {app: splunk-otel-collector, component: otel-collector, release: splunk-otel-collector}}
    spec:
      containers:
        - name: otel-collector
          image: quay.io/signalfx/splunk-otel-collector:0.150.0
          args: [--config=/conf/relay.yaml]
          volumeMounts: [{mountPath: /conf, name: collector-configmap}]
      volumes:
        - name: collector-configmap
          configMap: {name: splunk-otel-collector-otel-collector, items: [{key: relay, path: relay.yaml}]}
---
# Source: splunk-otel-collector/templates/daemonset.yaml
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: splunk-otel-collector-agent
  labels: {app: splunk-otel-collector, component: otel-collector-agent}
spec:
  selector: {matchLabels: {app: splunk-otel-collector, component: otel-collector-agent}}
  template:
    metadata: {labels: {app: splunk-otel-collector, component: otel-collector-agent}}
    spec:
      containers: [{name: otel-collector, image: quay.io/signalfx/splunk-otel-collector:0.150.0}]
---
# Source: splunk-otel-collector/templates/deployment-cluster-receiver.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: splunk-otel-collector-k8s-cluster-receiver
  labels: {app: splunk-otel-collector, component: otel-k8s-cluster-receiver}
spec:
  selector: {matchLabels: {app: splunk-otel-collector, component: otel-k8s-cluster-receiver}}
  template:
    metadata: {labels: {app: splunk-otel-collector, component: otel-k8s-cluster-receiver}}
    spec:
      containers: [{name: otel-collector, image: quay.io/signalfx/splunk-otel-collector:0.150.0}]
`;

    /** What the post-renderer made of the rendered chart: the gateway, the others, the patch. */
    const check = (stdout: string): void => {
      const docs = parseAllDocuments(stdout).map((d) => d.toJS() as Doc);
      const byName = (n: string): Doc => docs.find((d) => at(d, 'metadata.name') === n) as Doc;
      const gateway = at(byName('splunk-otel-collector'), 'spec.template.spec') as Doc;
      const patch = at(readYaml('deploy/sidecar/splunk-otel-collector/edgewatch-patch.yaml'), 'spec.template.spec') as Doc;
      expect(gateway.initContainers).toEqual(patch.initContainers);
      expect((gateway.containers as Container[]).map((c) => c.name)).toEqual(['otel-collector']);
      expect((gateway.volumes as Array<{ name: string }>).map((v) => v.name).sort()).toEqual(['collector-configmap', 'edgewatch-tmp']);
      for (const other of ['splunk-otel-collector-agent', 'splunk-otel-collector-k8s-cluster-receiver']) {
        expect(at(byName(other), 'spec.template.spec.initContainers')).toBeUndefined();
      }
    };

    test('adds the edgewatch sidecar and its volume to the gateway only, and keeps the collector container', () => {
      const r = spawnSync(join(dir, 'post-render.sh'), [], { input: rendered, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      check(r.stdout);
    });

    describeWithTool('helm', helmBinary(), 'as helm runs it', (helm) => {
      test('helm template --post-renderer post-render.sh: the same', () => {
        // A chart that renders what the splunk chart renders, so that helm itself runs the post-renderer.
        const chart = mkdtempSync(join(tmpdir(), 'ew-splunk-like-'));
        try {
          mkdirSync(join(chart, 'templates'));
          writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: splunk-otel-collector\nversion: 0.0.0\n');
          writeFileSync(join(chart, 'templates', 'rendered.yaml'), rendered);
          const r = spawnSync(helm, ['template', 'splunk-otel-collector', chart, '--post-renderer', join(dir, 'post-render.sh')], { encoding: 'utf8' });
          expect(r.stderr).toBe('');
          expect(r.status).toBe(0);
          check(r.stdout);
        } finally {
          rmSync(chart, { recursive: true, force: true });
        }
      });
    });

    test('a failing kustomize is a failing post-renderer (helm then stops the install)', () => {
      const r = spawnSync(join(dir, 'post-render.sh'), [], { input: 'kind: [not yaml', encoding: 'utf8' });
      expect(r.status).not.toBe(0);
    });
  });
});

test('the README names every shipped file of deploy/sidecar', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const files = [...new Set(shapes.flatMap((s) => s.files))].concat([
    'deploy/sidecar/redis.yaml',
    'deploy/sidecar/splunk-otel-collector/post-render.sh',
    'deploy/sidecar/splunk-otel-collector/kustomization.yaml',
  ]);
  expect(files.filter((f) => !readme.includes(f))).toEqual([]);
});
