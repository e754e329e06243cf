/**
 * Where edgewatch listens when it runs as a sidecar in the OpenTelemetry collector's pod (README
 * "Run as a collector sidecar"). Containers of a pod share one network namespace, so no address
 * here may use a port the collector binds by default. The OTLP receivers listen on loopback: only
 * containers of the pod (the collector) can write the baseline. The admin port is on every
 * interface because the kubelet's probes and Prometheus reach it on the pod IP.
 *
 * The files under deploy/sidecar/ write these into the edgewatch container's `env`, so that the
 * pod spec shows them; test/unit/deploy/sidecar.test.ts holds those files to this module. The
 * service's own defaults (0.0.0.0:4317/4318/9464, src/config/options.ts) are not changed by it.
 */

/** The ports an OpenTelemetry collector binds with its usual default components. */
export const COLLECTOR_DEFAULT_PORTS: Readonly<Record<number, string>> = Object.freeze({
  4317: 'OTLP gRPC receiver',
  4318: 'OTLP HTTP receiver',
  8888: "collector's own metrics",
  8889: 'Prometheus exporter',
  13133: 'health_check extension',
  55679: 'zpages extension',
  1777: 'pprof extension',
  14250: 'Jaeger gRPC receiver',
  14268: 'Jaeger thrift HTTP receiver',
  9411: 'Zipkin receiver',
  6831: 'Jaeger thrift compact (UDP)',
  6832: 'Jaeger thrift binary (UDP)',
});

/** Listen addresses of edgewatch as a collector sidecar. */
export const SIDECAR_ADDRS = Object.freeze({
  /** The collector's exporter sends here: `localhost:14317`. */
  otlpGrpcAddr: '127.0.0.1:14317',
  otlpHttpAddr: '127.0.0.1:14318',
  /** /metrics, /healthz, /readyz, /api/v1/*: probes and Prometheus come from outside the pod. */
  adminAddr: '0.0.0.0:9464',
});

/** The same addresses as the environment variables the shipped files set. */
export const SIDECAR_ENV: Readonly<Record<string, string>> = Object.freeze({
  EDGEWATCH_OTLP_GRPC_ADDR: SIDECAR_ADDRS.otlpGrpcAddr,
  EDGEWATCH_OTLP_HTTP_ADDR: SIDECAR_ADDRS.otlpHttpAddr,
  EDGEWATCH_ADMIN_ADDR: SIDECAR_ADDRS.adminAddr,
});

/** The port of a `host:port` address (`[::1]:14317` too). */
export function portOf(addr: string): number {
  return Number(addr.slice(addr.lastIndexOf(':') + 1));
}

/** The collector's default port each address would take, if any: `[]` means no clash. */
export function collectorPortClashes(addrs: readonly string[]): Array<{ addr: string; port: number; usedBy: string }> {
  return addrs.map((addr) => ({ addr, port: portOf(addr), usedBy: COLLECTOR_DEFAULT_PORTS[portOf(addr)] })).filter((c) => c.usedBy !== undefined);
}
