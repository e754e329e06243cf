import { h, when } from './dom';
import { namespaceOf, type ClusterModel, type EdgeView } from './model';
import type { Selection } from './map';
import type { AlertJson } from './types';

export interface PanelActions {
  ack(a: AlertJson): void;
  expect(a: AlertJson): void;
  forget(e: EdgeView): void;
}

/** One alert with its context, its state and the actions that apply. */
export function alertBlock(a: AlertJson, act: PanelActions): HTMLElement {
  const c = a.context;
  const ctx = c === undefined ? null : h('dl', {},
    h('dt', {}, 'kind'), h('dd', {}, c.kind),
    h('dt', {}, 'source first seen'), h('dd', {}, when(c.source_first_seen)),
    h('dt', {}, 'dest first seen'), h('dd', {}, when(c.dest_first_seen)),
    h('dt', {}, 'peers before'), h('dd', {}, `${c.source_peers} → ${c.dest_peers}`),
    h('dt', {}, 'cross namespace'), h('dd', {}, c.cross_namespace ? 'yes' : 'no'));
  const buttons = a.state === 'open' ? h('p', {}, btn('Acknowledge', () => act.ack(a)), ' ', btn('Expect', () => act.expect(a))) : null;
  const by = a.triage === null ? '' : ` by ${a.triage.by} at ${when(a.triage.at)}${a.triage.comment ? `: ${a.triage.comment}` : ''}`;
  return h('div', { class: `alert-block state-${a.state}`, 'data-alert': a.id },
    h('p', {}, h('strong', {}, a.title)),
    h('p', {}, `severity ${a.severity ?? '—'} · risk ${a.risk_score} · detected ${when(a.detected_at)}`),
    h('p', { class: 'state' }, `state: ${a.state}${by}`),
    ctx, buttons);
}

function btn(label: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button' }, label);
  b.addEventListener('click', onClick);
  return b;
}

/** Fill the side panel for the map's selection. */
export function renderPanel(el: HTMLElement, sel: Selection, model: ClusterModel, act: PanelActions): void {
  el.replaceChildren();
  if (sel.type === 'none') {
    el.hidden = true;
    return;
  }
  el.hidden = false;
  if (sel.type === 'edge') {
    const e = model.edges.find((x) => x.id === sel.edge.id) ?? sel.edge;
    el.append(
      h('h2', {}, `${e.source} → ${e.dest}`),
      h('dl', {},
        h('dt', {}, 'protocol'), h('dd', {}, e.protocol),
        h('dt', {}, 'source'), h('dd', {}, `${e.source} (${namespaceOf(model, e.source)})`),
        h('dt', {}, 'dest'), h('dd', {}, `${e.dest} (${namespaceOf(model, e.dest)})`),
        h('dt', {}, 'first seen'), h('dd', {}, e.firstSeenMs === null ? 'before any alert (not recorded in the edge list)' : when(new Date(e.firstSeenMs).toISOString())),
        h('dt', {}, 'last seen'), h('dd', {}, when(e.last_seen))),
      h('h3', {}, e.alerts.length === 0 ? 'No alert' : 'Alerts'),
      ...e.alerts.map((a) => alertBlock(a, act)),
      h('p', {}, btn('Forget this edge', () => act.forget(e))),
    );
    return;
  }
  const w = sel.workload;
  const out = model.edges.filter((e) => e.source === w);
  const inc = model.edges.filter((e) => e.dest === w);
  const alerts = [...new Set([...out, ...inc].flatMap((e) => e.alerts))];
  el.append(
    h('h2', {}, w),
    h('p', {}, `namespace ${namespaceOf(model, w)}`),
    h('h3', {}, `Talks to (${out.length})`),
    h('ul', {}, ...out.map((e) => h('li', {}, `${e.dest} · ${e.protocol} · last ${when(e.last_seen)}`))),
    h('h3', {}, `Talked to by (${inc.length})`),
    h('ul', {}, ...inc.map((e) => h('li', {}, `${e.source} · ${e.protocol} · last ${when(e.last_seen)}`))),
    h('h3', {}, alerts.length === 0 ? 'No alert' : 'Alerts'),
    ...alerts.map((a) => alertBlock(a, act)),
  );
}
