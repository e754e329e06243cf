import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseListenAddr } from '../receiver/listen-addr';

/** Listen on `addr`; resolves with the bound port (useful with port 0). */
export function listen(server: Server, addr: string): Promise<number> {
  const { host, port } = parseListenAddr(addr, 'admin_addr');
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Close a server, ending idle keep-alive connections and, after `graceMs`, all of them. */
export function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const timer = setTimeout(() => server.closeAllConnections(), graceMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
