import { ackAlert, expectAlert, forgetEdge, listAlerts, listClusters, listEdges, UnavailableError } from './api';
import { AlertsTable } from './alerts-view';
import { byId, h } from './dom';
import { EdgeMap, type Selection } from './map';
import { alertEdgeId, buildModel, filterEdges, type ClusterModel } from './model';
import { renderPanel, type PanelActions } from './panel';
import { showBanner, showEmpty, showNotice } from './states';
import type { AlertJson, ClusterJson, EdgeJson, ViewState } from './types';
import { readView, writeView } from './url-state';

/** Alerts polled every second: a new alert shows within two seconds. */
const ALERT_POLL_MS = 1000;
/** Edges without alerts (learning, known edges seen again) are re-read less often. */
const EDGE_POLL_MS = 10_000;
const ALERT_LIMIT = 1000;
const EDGE_LIMIT = 20_000;

const view: ViewState = readView(location.search);
let alerts: AlertJson[] = [];
let edges: EdgeJson[] = [];
let clusters: string[] = [];
/** Learning state per cluster (GET /api/v1/clusters). */
let learning: ClusterJson[] = [];
let model: ClusterModel = buildModel([], [], '', Date.now());
let alertsSig = '';
let edgesFor = '\u0000';

const map = new EdgeMap(byId('map'), (s) => select(s));
const table = new AlertsTable(byId<HTMLTableElement>('alerts').tBodies[0], {
  ack: (a) => void act(() => ackAlert(a.id, null)),
  expect: (a) => void act(() => expectAlert(a.id, null)),
  open: (a) => {
    const id = alertEdgeId(a);
    Object.assign(view, { cluster: a.cluster, view: 'map', sel: id ?? '' });
    void refreshEdges().then(() => show());
  },
});
const actions: PanelActions = {
  ack: (a) => void act(() => ackAlert(a.id, null)),
  expect: (a) => void act(() => expectAlert(a.id, null)),
  forget: (e) => {
    if (!confirm(`Forget ${e.source} → ${e.dest} (${e.protocol})? It alerts again when next seen.`)) return;
    void act(() => forgetEdge(e.cluster, e.protocol, e.source, e.dest)).then(() => select({ type: 'none' }));
  },
};

/** Run an action, then read the alerts and edges again. */
async function act(run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    showBanner((err as Error).message);
  }
  await refreshAlerts(true);
  await refreshEdges();
  redraw(false);
}

function select(s: Selection): void {
  view.sel = s.type === 'edge' ? s.edge.id : s.type === 'node' ? `node|${s.workload}` : '';
  writeView(view);
  if (s.type === 'edge') map.select(`e:${s.edge.id}`);
  if (s.type === 'node') map.select(`w:${s.workload}`);
  renderPanel(byId('panel'), s, model, actions);
}

async function refreshAlerts(force = false): Promise<void> {
  const got = (await listAlerts(ALERT_LIMIT)).alerts;
  const sig = got.map((a) => `${a.id}:${a.state}`).join(',');
  if (!force && sig === alertsSig) return;
  // A new alert of the shown cluster (or of any, before one is chosen) brings its edge: read them.
  const fresh = got.some((a) => (view.cluster === '' || a.cluster === view.cluster) && !alerts.some((b) => b.id === a.id));
  alerts = got;
  alertsSig = sig;
  if (fresh) await refreshEdges();
  redraw(fresh);
}

async function refreshEdges(): Promise<void> {
  learning = (await listClusters()).clusters;
  if (clusters.length === 0 || view.cluster === '' || learning.some((c) => c.name !== null && !clusters.includes(c.name))) {
    const all = (await listEdges('', 1000)).edges;
    const names = [...all.map((e) => e.cluster ?? ''), ...alerts.map((a) => a.cluster), ...learning.map((c) => c.name ?? '')];
    clusters = [...new Set(names)].filter((c) => c !== '').sort();
    if (view.cluster === '' && clusters.length > 0) view.cluster = clusters[0];
  }
  const got = view.cluster === '' ? [] : (await listEdges(view.cluster, EDGE_LIMIT)).edges;
  const changed = edgesFor !== view.cluster || got.length !== edges.length;
  edges = got;
  edgesFor = view.cluster;
  if (changed) redraw(true);
}

/** Rebuild the model; relayout when the set of edges changed. */
function redraw(relayout: boolean): void {
  model = buildModel(edges, alerts, view.cluster, Date.now());
  const empty = clusters.length === 0 && alerts.length === 0;
  showEmpty(empty);
  showNotice(learningNotice());
  fillSelect(byId('cluster'), clusters, view.cluster);
  fillSelect(byId('f-ns'), ['', ...new Set(model.edges.flatMap((e) => [model.namespaces.get(e.source) ?? '', model.namespaces.get(e.dest) ?? '']).filter(Boolean))].sort(), view.ns);
  byId('map-view').hidden = empty || view.view !== 'map';
  byId('alerts-view').hidden = empty || view.view !== 'alerts';
  for (const t of document.querySelectorAll<HTMLElement>('.tab')) t.setAttribute('aria-pressed', String(t.dataset.view === view.view));
  if (view.view === 'map' && !empty) {
    map.render(model, filterEdges(model, { q: view.q, ns: view.ns, proto: view.proto, sinceMs: view.since === '' ? NaN : Date.parse(view.since) }), relayout);
    restoreSelection();
  }
  table.render(alerts, view);
}

/** A cluster in its learning period says until when (its new edges are recorded without alerts). */
function learningNotice(): string | null {
  const c = learning.find((x) => x.name === view.cluster || x.name === null);
  if (c === undefined || !c.learning) return null;
  const hours = Math.round((Date.parse(c.learning_until) - Date.parse(c.first_point)) / 360_000) / 10;
  return `${view.cluster} is in its learning period until ${new Date(c.learning_until).toLocaleString()} (learning_period ${hours} h after its first point): its new edges are recorded without alerts.`;
}

function restoreSelection(): void {
  if (view.sel.startsWith('node|')) return select({ type: 'node', workload: view.sel.slice(5) });
  const edge = model.edges.find((e) => e.id === view.sel);
  select(edge === undefined ? { type: 'none' } : { type: 'edge', edge });
}

function fillSelect(el: HTMLSelectElement, values: string[], current: string): void {
  const wanted = values.join('\u0000');
  if (el.dataset.values !== wanted) {
    el.replaceChildren(...values.map((v) => h('option', { value: v }, v === '' ? 'all' : v)));
    el.dataset.values = wanted;
  }
  el.value = current;
}

function show(): void {
  writeView(view);
  redraw(true);
}

function bindInputs(): void {
  const bind = (id: string, key: keyof ViewState, refetch = false): void => {
    const el = byId<HTMLInputElement | HTMLSelectElement>(id);
    el.value = view[key];
    el.addEventListener(el instanceof HTMLSelectElement ? 'change' : 'input', () => {
      (view as unknown as Record<string, string>)[key] = el.value;
      if (refetch) void refreshEdges().then(show);
      else show();
    });
  };
  bind('cluster', 'cluster', true);
  bind('f-search', 'q');
  bind('f-ns', 'ns');
  bind('f-proto', 'proto');
  bind('f-since', 'since');
  bind('a-state', 'state');
  bind('a-kind', 'kind');
  bind('a-sev', 'sev');
  bind('a-edge', 'edge');
  for (const t of document.querySelectorAll<HTMLElement>('.tab')) {
    t.addEventListener('click', () => {
      view.view = t.dataset.view === 'alerts' ? 'alerts' : 'map';
      show();
    });
  }
  for (const f of document.querySelectorAll('form.filters')) f.addEventListener('submit', (ev) => ev.preventDefault());
}

/** Poll forever; an unreachable store shows a banner and clears it at the next answer. */
function poll(run: () => Promise<void>, everyMs: number): void {
  const tick = async (): Promise<void> => {
    try {
      await run();
      showBanner(null);
    } catch (err) {
      showBanner(err instanceof UnavailableError ? `The store is unreachable (${err.message})` : (err as Error).message);
    }
    window.setTimeout(() => void tick(), everyMs);
  };
  void tick();
}

bindInputs();
poll(async () => {
  if (edgesFor === '\u0000') await refreshEdges();
  await refreshAlerts();
}, ALERT_POLL_MS);
window.setTimeout(() => poll(refreshEdges, EDGE_POLL_MS), EDGE_POLL_MS);
document.body.dataset.loaded = '1';
