import type { Protocol } from '../core/observation';
import type { ReplayPoint } from './replay-point';

/** A line that cannot become a point; the message is the reason the summary counts. */
export class LineError extends Error {}

/** Split one CSV record (RFC 4180 quoting: "a ""b""", commas inside quotes). */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new LineError('unterminated quote');
  out.push(cur.replace(/\r$/, ''));
  return out;
}

/**
 * `_time` as Splunk exports it: epoch seconds (`1732788000`, `1732788000.000`) or an ISO-like
 * time (`2026-11-28T10:00:00.000+00:00`, `2026-11-28 10:00:00 UTC`; no zone means UTC).
 */
export function parseSplunkTime(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const iso = t.replace(' ', 'T').replace(/\s*UTC$/i, 'Z').replace(/\s+/g, '');
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : `${iso}Z`;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(zoned) ? Date.parse(zoned) : Number.NaN;
  if (Number.isNaN(ms)) throw new LineError('bad _time');
  return ms;
}

export interface CsvColumns {
  time: number;
  cluster: number;
  source: number;
  dest: number;
  protocol: number;
}

/**
 * Columns of a CSV export of the original search's history: `_time`, `k8s.cluster.name` (or
 * `host`, the search's rename of it), `source.workload.name`, `dest.workload.name`, and
 * optionally `protocol`. Without a protocol column, `udp.packets_count` marks the UDP twin's
 * export; otherwise `defaultProtocol` applies.
 */
export class CsvHistory {
  private readonly cols: CsvColumns;
  readonly protocol: Protocol;

  constructor(headerLine: string, defaultProtocol: Protocol | undefined, private readonly defaultCluster: string | undefined) {
    const names = splitCsv(headerLine.replace(/^\uFEFF/, '')).map((h) => h.trim());
    const find = (...candidates: string[]): number => {
      for (const c of candidates) {
        const i = names.indexOf(c);
        if (i >= 0) return i;
      }
      return -1;
    };
    this.cols = {
      time: find('_time'),
      cluster: find('k8s.cluster.name', 'host'),
      source: find('source.workload.name'),
      dest: find('dest.workload.name'),
      protocol: find('protocol'),
    };
    const missing: string[] = [];
    if (this.cols.time < 0) missing.push('_time');
    if (this.cols.source < 0) missing.push('source.workload.name');
    if (this.cols.dest < 0) missing.push('dest.workload.name');
    if (this.cols.cluster < 0 && defaultCluster === undefined) missing.push('k8s.cluster.name (or --cluster)');
    if (missing.length > 0) throw new LineError(`CSV header lacks ${missing.join(', ')}; given: ${names.join(', ')}`);
    this.protocol = defaultProtocol ?? (names.includes('udp.packets_count') && !names.includes('tcp.packets_count') ? 'udp' : 'tcp');
  }

  parse(line: string): ReplayPoint {
    const f = splitCsv(line);
    const get = (i: number): string => (i >= 0 && i < f.length ? f[i].trim() : '');
    const source = get(this.cols.source);
    const dest = get(this.cols.dest);
    if (source === '') throw new LineError('missing source.workload.name');
    if (dest === '') throw new LineError('missing dest.workload.name');
    let protocol = this.protocol;
    if (this.cols.protocol >= 0) {
      const p = get(this.cols.protocol).toLowerCase();
      if (p !== 'tcp' && p !== 'udp') throw new LineError('protocol not tcp or udp');
      protocol = p;
    }
    const cluster = this.cols.cluster >= 0 ? get(this.cols.cluster) || (this.defaultCluster ?? '') : (this.defaultCluster ?? '');
    return { cluster, protocol, source, dest, timeMs: parseSplunkTime(get(this.cols.time)) };
  }
}
