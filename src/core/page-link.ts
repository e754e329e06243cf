/**
 * Links into the web page (web/src reads them back: url-state.ts `sel=`, model.ts edgeId). Pure
 * and dependency-free, so the page's bundle and the server share this one definition.
 */

/** The page's `sel=` value of an edge: `protocol|source|dest`. */
export function edgeSel(protocol: string, source: string, dest: string): string {
  return `${protocol}|${source}|${dest}`;
}

/** `<external_url>/?cluster=<c>&sel=<protocol|source|dest>`: the page opened on that edge (query values percent-encoded). */
export function edgePageUrl(externalUrl: string, cluster: string, protocol: string, source: string, dest: string): string {
  const q = new URLSearchParams({ cluster, sel: edgeSel(protocol, source, dest) });
  return `${externalUrl.replace(/\/+$/, '')}/?${q.toString()}`;
}
