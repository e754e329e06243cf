import type { Alert } from '../../src/core/alert';

/** First point of the README's example alert. */
export const SAMPLE_FIRST_SEEN = '2026-11-28T10:00:00.000Z';

/** The README's example new-edge alert (frontend → payments over TCP in prod-eu), with overrides. */
export function sampleAlert(over: Partial<Alert> = {}): Alert {
  return {
    id: '0f3c5a9e1b7d4c2a8e6f0b1d3c5a7e9f',
    rule: 'kubernetes_newly_seen_tcp_edge',
    title: 'Kubernetes newly seen TCP edge in kubernetes cluster prod-eu',
    cluster: 'prod-eu',
    protocol: 'tcp',
    source: { workload: 'frontend', namespace: 'shop' },
    dest: { workload: 'payments', namespace: 'shop' },
    first_seen: SAMPLE_FIRST_SEEN,
    detected_at: '2026-11-28T10:00:00.120Z',
    previous_seen: null,
    risk_score: 25,
    impact: 50,
    confidence: 50,
    mitre_attack: ['T1204'],
    baseline_window_s: 2_592_000,
    detection_window_s: 3600,
    attributes: {},
    ...over,
  };
}
