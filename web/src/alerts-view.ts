import { h, when } from './dom';
import type { AlertJson, ViewState } from './types';

export interface RowActions {
  ack(a: AlertJson): void;
  expect(a: AlertJson): void;
  open(a: AlertJson): void;
}

const edgeText = (a: AlertJson): string => `${a.source.workload} → ${a.dest.workload}${a.protocol ? ` (${a.protocol})` : ''}`;

export function matches(a: AlertJson, v: ViewState): boolean {
  if (v.state !== '' && a.state !== v.state) return false;
  if (v.kind !== '' && a.context?.kind !== v.kind) return false;
  if (v.sev !== '' && a.severity !== v.sev) return false;
  if (v.cluster !== '' && a.cluster !== v.cluster) return false;
  if (v.edge !== '' && !edgeText(a).toLowerCase().includes(v.edge.toLowerCase())) return false;
  return true;
}

/** The alerts table, newest first; rows are focusable and answer the keyboard. */
export class AlertsTable {
  private rows: AlertJson[] = [];

  constructor(
    private readonly body: HTMLTableSectionElement,
    private readonly act: RowActions,
  ) {
    body.addEventListener('keydown', (ev) => this.key(ev));
  }

  render(alerts: AlertJson[], v: ViewState): void {
    const focused = (document.activeElement as HTMLElement | null)?.dataset.alert;
    this.rows = alerts.filter((a) => matches(a, v)).sort((a, b) => b.created_at.localeCompare(a.created_at));
    this.body.replaceChildren(...this.rows.map((a) => this.row(a)));
    if (focused !== undefined) (this.body.querySelector(`tr[data-alert="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
  }

  private row(a: AlertJson): HTMLTableRowElement {
    const ack = h('button', { type: 'button', class: 'ack' }, 'Ack');
    const exp = h('button', { type: 'button', class: 'expect' }, 'Expect');
    ack.addEventListener('click', () => this.act.ack(a));
    exp.addEventListener('click', () => this.act.expect(a));
    const open = a.state === 'open';
    return h('tr', { tabindex: '0', 'data-alert': a.id, class: `state-${a.state} sev-${a.severity ?? 'none'}` },
      h('td', {}, when(a.created_at)),
      h('td', {}, a.cluster),
      h('td', {}, edgeText(a)),
      h('td', {}, a.context?.kind ?? (a.held_back !== undefined ? 'storm' : '—')),
      h('td', {}, a.severity ?? '—'),
      h('td', { class: 'state' }, a.state),
      h('td', {}, open ? ack : null, ' ', open ? exp : null));
  }

  private key(ev: KeyboardEvent): void {
    const tr = (ev.target as HTMLElement).closest('tr');
    if (tr === null) return;
    const i = this.rows.findIndex((a) => a.id === tr.dataset.alert);
    const a = this.rows[i];
    if (a === undefined) return;
    const move = (d: number): void => {
      (this.body.children[Math.max(0, Math.min(this.rows.length - 1, i + d))] as HTMLElement | undefined)?.focus();
      ev.preventDefault();
    };
    if (ev.key === 'ArrowDown' || ev.key === 'j') move(1);
    else if (ev.key === 'ArrowUp' || ev.key === 'k') move(-1);
    else if (ev.key === 'a' && a.state === 'open') this.act.ack(a);
    else if (ev.key === 'e' && a.state === 'open') this.act.expect(a);
    else if (ev.key === 'Enter') this.act.open(a);
  }
}
