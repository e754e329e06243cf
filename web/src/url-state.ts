import type { ViewState } from './types';

const DEFAULTS: ViewState = { cluster: '', view: 'map', q: '', ns: '', proto: '', since: '', sel: '', state: '', kind: '', sev: '', edge: '' };

/** The view from the query string (`/?cluster=NAME` opens that cluster). */
export function readView(search: string): ViewState {
  const p = new URLSearchParams(search);
  const v: ViewState = { ...DEFAULTS };
  for (const k of Object.keys(DEFAULTS) as (keyof ViewState)[]) {
    const value = p.get(k);
    if (value !== null) (v as unknown as Record<string, string>)[k] = value;
  }
  if (v.view !== 'alerts') v.view = 'map';
  return v;
}

/** Write the view back (defaults left out), without a navigation. */
export function writeView(v: ViewState): void {
  const p = new URLSearchParams();
  for (const [k, value] of Object.entries(v) as [keyof ViewState, string][]) {
    if (value !== DEFAULTS[k]) p.set(k, value);
  }
  const qs = p.toString();
  history.replaceState(null, '', qs === '' ? location.pathname : `${location.pathname}?${qs}`);
}
