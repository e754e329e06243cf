import type { AlertDraft } from '../core/alert';
import { alertId, type EdgeKey } from '../core/edge';
import type { Observation } from '../core/observation';
import { edgePageUrl } from '../core/page-link';
import type { LazyAlert } from '../store/store';
import type { Assessment } from './alert-context';
import { RULES, scoreFields } from './rules';

export interface DraftContext {
  baselineWindowMs: number;
  detectionWindowMs: number;
  nowMs: number;
  /** `external_url`: set, the alert gains `url` (the edge on the page); unset, no `url` key at all. */
  externalUrl?: string;
}

/** The alert for `obs` being the first point (at `firstMs`) of a new appearance of `key`; `assessed` adds severity and context. */
export function buildAlertDraft(key: EdgeKey, obs: Observation, firstMs: number, ctx: DraftContext, assessed?: Assessment, id = alertId(key, firstMs)): AlertDraft {
  const spec = RULES[obs.protocol];
  return {
    id,
    rule: spec.rule,
    title: `${spec.titlePrefix} ${obs.cluster}`,
    cluster: obs.cluster,
    protocol: obs.protocol,
    source: { workload: obs.source, namespace: obs.sourceNamespace || null },
    dest: { workload: obs.dest, namespace: obs.destNamespace || null },
    first_seen: new Date(firstMs).toISOString(),
    detected_at: new Date(ctx.nowMs).toISOString(),
    ...scoreFields(spec, ctx),
    ...(assessed === undefined ? {} : { severity: assessed.severity, context: assessed.context }),
    attributes: obs.attributes(),
    ...(ctx.externalUrl === undefined ? {} : { url: edgePageUrl(ctx.externalUrl, obs.cluster, obs.protocol, obs.source, obs.dest) }),
  };
}

/**
 * The same alert as a LazyAlert: its id now (the store decides by it), the draft only when the
 * store asks, built once. The storm guard holds back most new edges of a first deploy, and their
 * drafts (attributes decoded, dates formatted) were most of the detector's work per new edge.
 */
export function lazyAlertDraft(key: EdgeKey, obs: Observation, firstMs: number, ctx: DraftContext, assessed?: Assessment): LazyAlert {
  const id = alertId(key, firstMs);
  let draft: AlertDraft | undefined;
  return { id, cluster: obs.cluster, build: () => (draft ??= buildAlertDraft(key, obs, firstMs, ctx, assessed, id)) };
}
