import { byId, h } from './dom';

/** The collector snippet of README "Pointing the OpenTelemetry collector at it". */
const SNIPPET = `processors:
  resource/cluster:
    attributes:
      - { key: k8s.cluster.name, value: prod-eu, action: upsert }
exporters:
  otlp/edgewatch:
    endpoint: edgewatch.security.svc:4317
    tls: { insecure: true }
    compression: gzip
service:
  pipelines:
    metrics/network:
      receivers: [otlp]
      processors: [resource/cluster]
      exporters: [otlp/edgewatch]`;

/** No edge and no alert yet: say what to do instead of drawing an empty canvas. */
export function showEmpty(on: boolean): void {
  const el = byId<HTMLElement>('empty');
  el.hidden = !on;
  if (on && el.childElementCount === 0) {
    el.append(
      h('h2', {}, 'No data yet'),
      h('p', {}, 'edgewatch has not received any network metrics. Add it as an OTLP exporter of the collector pipeline that carries the eBPF reducer\'s metrics, with the cluster name on the resource:'),
      h('pre', {}, SNIPPET),
      h('p', {}, 'Trying it locally? Send the demo traffic to this service: DEMO_CLUSTER=demo node deploy/compose/demo-traffic.js (alerts follow once the learning period is over; learning_period 0 for none).'),
    );
  }
}

/** The store (or the service) did not answer: a banner until the next answer. */
export function showBanner(message: string | null): void {
  const el = byId<HTMLElement>('banner');
  el.hidden = message === null;
  el.textContent = message === null ? '' : `${message}. The page retries by itself.`;
}

/** A cluster with edges and no alert yet is most likely still learning. */
export function showNotice(message: string | null): void {
  const el = byId<HTMLElement>('notice');
  el.hidden = message === null;
  el.textContent = message ?? '';
}
