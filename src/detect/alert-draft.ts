import type { AlertDraft } from '../core/alert';
import { alertId, type EdgeKey } from '../core/edge';
import type { Observation } from '../core/observation';
import { RULES, riskScore } from './rules';

export interface DraftContext {
  baselineWindowMs: number;
  detectionWindowMs: number;
  nowMs: number;
}

/** The alert for `obs` being the first point (at `firstMs`) of a new appearance of `key`. */
export function buildAlertDraft(key: EdgeKey, obs: Observation, firstMs: number, ctx: DraftContext): AlertDraft {
  const spec = RULES[obs.protocol];
  return {
    id: alertId(key, firstMs),
    rule: spec.rule,
    title: `${spec.titlePrefix} ${obs.cluster}`,
    cluster: obs.cluster,
    protocol: obs.protocol,
    source: { workload: obs.source, namespace: obs.sourceNamespace || null },
    dest: { workload: obs.dest, namespace: obs.destNamespace || null },
    first_seen: new Date(firstMs).toISOString(),
    detected_at: new Date(ctx.nowMs).toISOString(),
    risk_score: riskScore(spec),
    impact: spec.impact,
    confidence: spec.confidence,
    mitre_attack: [...spec.mitreAttack],
    baseline_window_s: Math.round(ctx.baselineWindowMs / 1000),
    detection_window_s: Math.round(ctx.detectionWindowMs / 1000),
    attributes: obs.attributes(),
  };
}
