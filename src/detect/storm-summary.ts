import { createHash } from 'node:crypto';
import { STORM_RULE, type AlertDraft } from '../core/alert';
import type { Protocol } from '../core/observation';
import type { StormWindow } from '../store/storm';
import { RULES, scoreFields } from './rules';

export interface SummaryContext {
  /** `external_url`; without it list_url is a path of the admin API. */
  externalUrl?: string;
  baselineWindowMs: number;
  detectionWindowMs: number;
  nowMs: number;
}

/** `/api/v1/edges?cluster=<c>&since=<iso>`: the edges seen since the window began (held-back ones among them). */
export function stormListUrl(cluster: string, sinceMs: number, externalUrl?: string): string {
  const q = new URLSearchParams({ cluster, since: new Date(sinceMs).toISOString() });
  return `${(externalUrl ?? '').replace(/\/+$/, '')}/api/v1/edges?${q.toString()}`;
}

/** From cluster and window only: whichever replica writes a window's summary, it is the same alert (enqueue is idempotent by id). */
export function stormSummaryId(cluster: string, windowStartMs: number): string {
  return createHash('sha256').update(`storm|${cluster.length}:${cluster}|${windowStartMs}`).digest('hex').slice(0, 32);
}

/**
 * The storm guard's summary alert: the contract's envelope (so every sink and receiver handles it)
 * with rule kubernetes_newly_seen_edge_storm, `*` for the workloads, and the count and where to
 * list the edges. Scored like the edge rules: it stands for many of their alerts.
 */
export function buildStormSummary(w: StormWindow, ctx: SummaryContext): AlertDraft {
  const protocols = (Object.keys(w.byProtocol) as Protocol[]).filter((p) => (w.byProtocol[p] ?? 0) > 0).sort();
  const heldBack = protocols.reduce((n, p) => n + (w.byProtocol[p] ?? 0), 0);
  const spec = RULES.tcp;
  const id = stormSummaryId(w.cluster, w.windowStartMs);
  return {
    id,
    rule: STORM_RULE,
    title: `Kubernetes newly seen edge storm in kubernetes cluster ${w.cluster}`,
    cluster: w.cluster,
    protocol: protocols.length === 1 ? protocols[0] : null,
    source: { workload: '*', namespace: null },
    dest: { workload: '*', namespace: null },
    first_seen: new Date(w.firstMs).toISOString(),
    detected_at: new Date(ctx.nowMs).toISOString(),
    ...scoreFields(spec, ctx),
    attributes: { 'k8s.cluster.name': w.cluster },
    held_back: heldBack,
    held_back_by_protocol: Object.fromEntries(protocols.map((p) => [p, w.byProtocol[p] ?? 0])),
    list_url: stormListUrl(w.cluster, w.windowStartMs, ctx.externalUrl),
    window_start: new Date(w.windowStartMs).toISOString(),
    window_end: new Date(w.windowEndMs).toISOString(),
  };
}
