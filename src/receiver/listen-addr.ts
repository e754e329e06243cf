import { ConfigError } from '../core/errors';

export interface ListenAddr {
  /** Host without IPv6 brackets, as node:net wants it. */
  host: string;
  port: number;
}

const ADDR = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+):(\d{1,5})$/;

/** Parse `host:port` (IPv6 as `[::]:4317`; port 0 picks a free port). */
export function parseListenAddr(addr: string, field = 'listen address'): ListenAddr {
  const m = ADDR.exec(addr);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new ConfigError(field, 'host:port (e.g. 0.0.0.0:4317 or [::]:4317)', addr);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

/** `host:port` again, bracketing IPv6 hosts: the form gRPC bind targets take. */
export function formatListenAddr({ host, port }: ListenAddr): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
