import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../telemetry/logger';
import type { Telemetry } from '../telemetry/metrics';
import type { BaselineStore } from '../store/store';
import { BadQueryError, listAlerts, listEdges } from './api';
import { closeServer, listen } from './listen';

export interface AdminOptions {
  addr: string;
  baselineScope: 'cluster' | 'global';
  /** How long /readyz waits for the store's answer. */
  readyTimeoutMs?: number;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Admin HTTP: /metrics, /healthz, /readyz and the read-only /api/v1. */
export class AdminServer {
  private readonly server: Server;
  private draining = false;

  constructor(
    private readonly opts: AdminOptions,
    private readonly store: BaselineStore,
    private readonly telemetry: Telemetry,
    private readonly logger: Logger,
  ) {
    this.server = createServer((req, res) => {
      this.route(req, res).catch((err: unknown) => {
        this.logger.error({ err, url: req.url }, 'admin request failed');
        if (!res.headersSent) sendJson(res, 503, { error: (err as Error).message });
        else res.destroy();
      });
    });
  }

  start(): Promise<number> {
    return listen(this.server, this.opts.addr);
  }

  /** While shutting down /readyz answers 503 so load balancers stop sending traffic. */
  setDraining(): void {
    this.draining = true;
  }

  stop(graceMs = 1000): Promise<void> {
    return closeServer(this.server, graceMs);
  }

  private async ready(): Promise<string | null> {
    if (this.draining) return 'shutting down';
    const timeout = this.opts.readyTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.store.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`store did not answer within ${timeout} ms`)), timeout);
        }),
      ]);
      return null;
    } catch (err) {
      return (err as Error).message;
    } finally {
      clearTimeout(timer);
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
    switch (url.pathname) {
      case '/metrics':
        return this.telemetry.handlePrometheus(req, res);
      case '/healthz':
        return sendJson(res, 200, { status: 'ok' });
      case '/readyz': {
        const problem = await this.ready();
        return problem === null ? sendJson(res, 200, { status: 'ready', store: this.store.kind }) : sendJson(res, 503, { status: 'not ready', reason: problem });
      }
      case '/api/v1/edges':
      case '/api/v1/alerts':
        try {
          const body =
            url.pathname === '/api/v1/edges'
              ? await listEdges(this.store, url.searchParams, this.opts.baselineScope, Date.now())
              : await listAlerts(this.store, url.searchParams);
          return sendJson(res, 200, body);
        } catch (err) {
          if (err instanceof BadQueryError) return sendJson(res, 400, { error: err.message });
          throw err;
        }
      default:
        return sendJson(res, 404, { error: `no route ${url.pathname}` });
    }
  }
}
