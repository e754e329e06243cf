/** A small element builder: text is always set as text, never as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string | null)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

export const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

export const when = (iso: string | null): string => (iso === null ? '—' : new Date(iso).toLocaleString());
