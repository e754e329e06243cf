/**
 * The files under deploy/sidecar/ read the way each tool would use them: the
 * opentelemetry-collector chart's values (merged like `helm -f a -f b`), the Operator's
 * OpenTelemetryCollector, and the splunk-otel-collector values plus its post-renderer patch. Each
 * becomes one SidecarShape: the edgewatch container, the pod around it and the collector config.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export const ROOT = join(__dirname, '../..');
export const SIDECAR_DIR = join(ROOT, 'deploy/sidecar');

export type Doc = Record<string, unknown>;

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}

export interface Probe {
  httpGet?: { path: string; port: string | number };
  periodSeconds?: number;
  failureThreshold?: number;
}

export interface Container {
  name: string;
  image: string;
  restartPolicy?: string;
  env: EnvVar[];
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Doc; limits?: Doc };
  securityContext?: Doc;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

export interface SidecarShape {
  /** How people run the collector, e.g. "opentelemetry-collector chart, native sidecar". */
  name: string;
  /** The shipped files this shape is read from, relative to the repository. */
  files: string[];
  /** A native sidecar (init container with restartPolicy Always) or a plain second container. */
  native: boolean;
  container: Container;
  /** Every container of the pod that this shape names (the collector's own is the tool's). */
  containerNames: string[];
  podVolumes: Array<{ name: string }>;
  podAnnotations: Record<string, string>;
  /** The collector configuration as the shipped file gives it (merged over the tool's defaults). */
  collector: Doc;
  /** Processors the tool itself defines in the collector config (not in the shipped file). */
  toolProcessors: string[];
  replicas: number;
  /** The pod's terminationGracePeriodSeconds (Kubernetes' 30 where the file leaves it). */
  graceSeconds: number;
}

export function readYaml(rel: string): Doc {
  return parse(readFileSync(join(ROOT, rel), 'utf8')) as Doc;
}

export function readYamlDocs(rel: string): Doc[] {
  return parseAllDocuments(readFileSync(join(ROOT, rel), 'utf8'))
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
}

const isMap = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Helm's merge of values files: maps merge key by key, anything else (lists too) is replaced, null deletes. */
export function helmMerge(base: Doc, over: Doc): Doc {
  const out: Doc = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete out[k];
    else if (isMap(v) && isMap(out[k])) out[k] = helmMerge(out[k] as Doc, v);
    else out[k] = v;
  }
  return out;
}

const byName = (list: unknown, name: string): Container => {
  const found = ((list ?? []) as Container[]).find((c) => c.name === name);
  if (!found) throw new Error(`no container ${name}`);
  return found;
};

const names = (...lists: unknown[]): string[] => lists.flatMap((l) => ((l ?? []) as Container[]).map((c) => c.name));

function otelChart(native: boolean): SidecarShape {
  const dir = 'deploy/sidecar/opentelemetry-collector';
  const files = native ? [`${dir}/values.yaml`] : [`${dir}/values.yaml`, `${dir}/extra-containers.yaml`];
  const values = files.map(readYaml).reduce(helmMerge);
  return {
    name: `opentelemetry-collector chart, ${native ? 'native sidecar' : 'extraContainers'}`,
    files,
    native,
    container: byName(native ? values.initContainers : values.extraContainers, 'edgewatch'),
    // The chart's own container is named after the chart.
    containerNames: ['opentelemetry-collector', ...names(values.initContainers, values.extraContainers)],
    podVolumes: (values.extraVolumes ?? []) as Array<{ name: string }>,
    podAnnotations: (values.podAnnotations ?? {}) as Record<string, string>,
    collector: values.config as Doc,
    // values.yaml of the chart defines memory_limiter (and batch) in config.processors.
    toolProcessors: ['memory_limiter', 'batch'],
    replicas: Number(values.replicaCount ?? 1),
    graceSeconds: 30,
  };
}

function operator(): SidecarShape {
  const file = 'deploy/sidecar/opentelemetry-operator/collector.yaml';
  const spec = readYaml(file).spec as Doc;
  return {
    name: 'OpenTelemetry Operator, OpenTelemetryCollector',
    files: [file],
    native: true,
    container: byName(spec.initContainers, 'edgewatch'),
    containerNames: ['otc-container', ...names(spec.initContainers, spec.additionalContainers)],
    podVolumes: (spec.volumes ?? []) as Array<{ name: string }>,
    podAnnotations: (spec.podAnnotations ?? {}) as Record<string, string>,
    collector: spec.config as Doc,
    toolProcessors: [],
    replicas: Number(spec.replicas ?? 1),
    graceSeconds: Number(spec.terminationGracePeriodSeconds ?? 30),
  };
}

function splunk(): SidecarShape {
  const dir = 'deploy/sidecar/splunk-otel-collector';
  const values = readYaml(`${dir}/values.yaml`);
  const gateway = values.gateway as Doc;
  const pod = ((readYaml(`${dir}/edgewatch-patch.yaml`).spec as Doc).template as Doc).spec as Doc;
  return {
    name: 'splunk-otel-collector chart gateway, post-renderer',
    files: [`${dir}/values.yaml`, `${dir}/edgewatch-patch.yaml`],
    native: true,
    container: byName(pod.initContainers, 'edgewatch'),
    containerNames: ['otel-collector', ...names(pod.initContainers, pod.containers)],
    podVolumes: (pod.volumes ?? []) as Array<{ name: string }>,
    podAnnotations: (gateway.podAnnotations ?? {}) as Record<string, string>,
    collector: gateway.config as Doc,
    // templates/config/_otel-collector.tpl: memory_limiter always, resource/add_cluster_name with clusterName.
    toolProcessors: ['memory_limiter', 'batch', ...(values.clusterName ? ['resource/add_cluster_name'] : [])],
    replicas: Number(gateway.replicaCount ?? 1),
    graceSeconds: 30,
  };
}

export function sidecarShapes(): SidecarShape[] {
  return [otelChart(true), otelChart(false), operator(), splunk()];
}

/**
 * The container's env as the kubelet would give it: plain values, and Secret keys from `secrets`
 * (a missing key is left out when optional, an error otherwise, as a pod that would not start).
 */
export function resolveEnv(container: Container, secrets: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container.env) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      if (secrets[ref.key] !== undefined) env[e.name] = secrets[ref.key];
      else if (!ref.optional) throw new Error(`${e.name}: Secret ${ref.name} has no key ${ref.key}`);
    } else {
      env[e.name] = e.value ?? '';
    }
  }
  return env;
}

export interface EdgewatchExporter {
  /** The exporter's id, e.g. otlp_grpc/edgewatch. */
  id: string;
  /** The part before the slash: otlp_grpc (v0.144+) or its alias otlp. */
  type: string;
  spec: Doc;
  /** Pipelines (by name) that use it. */
  pipelines: Array<[string, Doc]>;
}

/** The OTLP gRPC exporters of a collector config and the pipelines that use them. */
export function otlpGrpcExporters(collector: Doc): EdgewatchExporter[] {
  const exporters = (collector.exporters ?? {}) as Record<string, Doc>;
  const pipelines = Object.entries(((collector.service as Doc | undefined)?.pipelines ?? {}) as Record<string, Doc>);
  return Object.entries(exporters)
    .filter(([id]) => ['otlp_grpc', 'otlp'].includes(id.split('/')[0]))
    .map(([id, spec]) => ({ id, type: id.split('/')[0], spec, pipelines: pipelines.filter(([, p]) => ((p.exporters ?? []) as string[]).includes(id)) }));
}
