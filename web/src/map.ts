import cytoscape, { type Core, type ElementDefinition } from 'cytoscape';
import fcose from 'cytoscape-fcose';
import { namespaceOf, type ClusterModel, type EdgeView } from './model';

cytoscape.use(fcose);

/** Above this many workloads namespaces start collapsed into one node each (click expands). */
export const COLLAPSE_THRESHOLD = 300;

export type Selection = { type: 'edge'; edge: EdgeView } | { type: 'node'; workload: string } | { type: 'none' };

const STYLE: cytoscape.StylesheetJson = [
  { selector: 'node', style: { label: 'data(label)', 'font-size': 10, 'background-color': '#4a6fa5', width: 18, height: 18, color: '#222' } },
  { selector: 'node.ns', style: { 'background-color': '#eef2f7', 'border-color': '#9aa9bd', 'border-width': 1, 'text-valign': 'top', 'font-weight': 'bold', shape: 'round-rectangle' } },
  { selector: 'node.collapsed', style: { 'background-color': '#c9d6e8', width: 'mapData(size, 1, 200, 30, 90)', height: 'mapData(size, 1, 200, 30, 90)', 'text-valign': 'center' } },
  { selector: 'node:selected', style: { 'border-color': '#000', 'border-width': 3 } },
  { selector: 'edge', style: { width: 1.5, 'line-color': '#9aa3ad', 'target-arrow-color': '#9aa3ad', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier', 'arrow-scale': 0.8 } },
  { selector: 'edge.udp', style: { 'target-arrow-shape': 'circle' } },
  { selector: 'edge.new', style: { 'line-color': '#e08a00', 'target-arrow-color': '#e08a00', 'line-style': 'dashed', width: 3 } },
  { selector: 'edge.alert', style: { 'line-color': '#c62828', 'target-arrow-color': '#c62828', width: 5 } },
  { selector: 'edge:selected', style: { 'overlay-color': '#000', 'overlay-opacity': 0.15 } },
];

/** The edge map of one cluster: cytoscape.js, namespaces as compound nodes (fcose layout). */
export class EdgeMap {
  private cy: Core;
  private expanded = new Set<string>();
  private edges = new Map<string, EdgeView>();
  private last: { model: ClusterModel; edges: EdgeView[] } | null = null;

  constructor(
    private readonly el: HTMLElement,
    private readonly onSelect: (s: Selection) => void,
  ) {
    this.cy = cytoscape({ container: el, style: STYLE, minZoom: 0.05, maxZoom: 4 });
    this.cy.on('tap', 'edge', (ev) => {
      const edge = this.edges.get(ev.target.id() as string);
      if (edge) this.onSelect({ type: 'edge', edge });
    });
    this.cy.on('tap', 'node', (ev) => {
      const d = ev.target.data() as { workload?: string; ns?: string; collapsed?: boolean };
      if (d.collapsed && d.ns !== undefined) {
        this.expanded.add(d.ns);
        if (this.last) this.render(this.last.model, this.last.edges, true);
      } else if (d.workload !== undefined) this.onSelect({ type: 'node', workload: d.workload });
    });
    this.cy.on('tap', (ev) => {
      if (ev.target === this.cy) this.onSelect({ type: 'none' });
    });
  }

  /** Draw these edges; `relayout` false keeps positions when only styles changed. */
  render(model: ClusterModel, edges: EdgeView[], relayout: boolean): void {
    this.last = { model, edges };
    const elements = this.elements(model, edges);
    const ids = new Set(elements.map((e) => e.data.id));
    // The container may have been hidden (0×0) when cytoscape measured it.
    this.cy.resize();
    const same = !relayout && this.cy.elements().length === ids.size && this.cy.elements().toArray().every((e) => ids.has(e.id()));
    if (same) {
      for (const e of elements) this.cy.getElementById(e.data.id as string).classes(e.classes ?? '');
    } else {
      this.cy.batch(() => {
        this.cy.elements().remove();
        this.cy.add(elements);
      });
      const large = this.cy.nodes().length > 1500;
      this.cy.layout({ name: 'fcose', animate: false, quality: large ? 'draft' : 'default', randomize: true, nodeRepulsion: 6000, idealEdgeLength: 80, fit: true, padding: 30 } as cytoscape.LayoutOptions).run();
      this.cy.fit(undefined, 30);
    }
    this.el.dataset.edges = String(edges.length);
    this.el.dataset.highlighted = edges.filter((e) => e.isNew || e.hasOpenAlert).map((e) => e.id).join(' ');
    this.exposeNamespaces();
    this.el.dataset.ready = '1';
  }

  /**
   * For tests (the canvas is opaque to them): the collapsed namespaces with the rendered position
   * of each (container pixels, where a click expands it), and how many workload nodes are drawn.
   */
  private exposeNamespaces(): void {
    const at: Record<string, { x: number; y: number }> = {};
    this.cy.nodes('.collapsed').forEach((n) => {
      const p = n.renderedPosition();
      at[n.data('ns') as string] = { x: Math.round(p.x), y: Math.round(p.y) };
    });
    this.el.dataset.collapsed = JSON.stringify(at);
    this.el.dataset.workloads = String(this.cy.nodes('[workload]').length);
  }

  select(id: string): void {
    this.cy.elements().unselect();
    this.cy.getElementById(id).select();
  }

  private elements(model: ClusterModel, edges: EdgeView[]): ElementDefinition[] {
    this.edges.clear();
    const workloads = new Set<string>();
    for (const e of edges) workloads.add(e.source).add(e.dest);
    const sizes = new Map<string, number>();
    for (const w of workloads) sizes.set(namespaceOf(model, w), (sizes.get(namespaceOf(model, w)) ?? 0) + 1);
    const collapse = workloads.size > COLLAPSE_THRESHOLD;
    const isCollapsed = (ns: string): boolean => collapse && !this.expanded.has(ns);
    const out: ElementDefinition[] = [];
    for (const [ns, size] of sizes) {
      if (isCollapsed(ns)) out.push({ data: { id: `ns:${ns}`, label: `${ns} (${size})`, ns, collapsed: true, size }, classes: 'ns collapsed' });
      else out.push({ data: { id: `ns:${ns}`, label: ns, ns }, classes: 'ns' });
    }
    const nodeOf = (w: string): string => (isCollapsed(namespaceOf(model, w)) ? `ns:${namespaceOf(model, w)}` : `w:${w}`);
    for (const w of workloads) {
      if (!isCollapsed(namespaceOf(model, w))) out.push({ data: { id: `w:${w}`, label: w, workload: w, parent: `ns:${namespaceOf(model, w)}` } });
    }
    // Between collapsed namespaces one edge per (protocol, pair), marked like its strongest edge.
    const merged = new Map<string, ElementDefinition>();
    for (const e of edges) {
      const s = nodeOf(e.source);
      const d = nodeOf(e.dest);
      const cls = [e.protocol, e.isNew ? 'new' : '', e.hasOpenAlert ? 'alert' : ''].filter(Boolean).join(' ');
      if (s === `w:${e.source}` && d === `w:${e.dest}`) {
        const id = `e:${e.id}`;
        this.edges.set(id, e);
        out.push({ data: { id, source: s, target: d }, classes: cls });
        continue;
      }
      const id = `m:${e.protocol}|${s}|${d}`;
      const prev = merged.get(id);
      const classes = [...new Set(`${prev?.classes ?? ''} ${cls}`.split(' ').filter(Boolean))].join(' ');
      merged.set(id, { data: { id, source: s, target: d }, classes });
    }
    return [...out, ...merged.values()];
  }
}
