import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../telemetry/logger';
import type { Telemetry } from '../telemetry/metrics';
import type { BaselineStore } from '../store/store';
import { BadQueryError } from './api';
import { chunkSink } from './chunk-sink';
import { writeEdgesPage } from './edges-page';
import { listAlerts } from './alerts-api';
import { TriageApi, type TriageApiOptions } from './triage-api';
import { closeServer, listen } from './listen';
import { EdgeQueryError, forgetEdges, selectorFromParams, writeNetworkPolicies } from './edges-admin';
import { bearerCheck } from '../receiver/auth';
import type { EdgeKey } from '../core/edge';
import { WebAssets } from './web-assets';
import { listClusters } from './clusters-api';

export interface AdminOptions {
  addr: string;
  baselineScope: 'cluster' | 'global';
  /** How long /readyz waits for the store's answer. */
  readyTimeoutMs?: number;
  /** When set, every /api/v1/* request (reads too) must carry `Authorization: Bearer <token>`. */
  adminToken?: string;
  /** An edge was forgotten: drop it from the known-edge cache too. */
  onForget?: (key: EdgeKey) => void;
  /** This process changed the stored rules (expect, DELETE /api/v1/rules/{id}): apply them now. */
  onRulesChanged?: TriageApiOptions['onRulesChanged'];
  /** learning_period, for the learning state in GET /api/v1/clusters (0: none). */
  learningPeriodMs?: number;
  /** The rules_file rules in force, listed by GET /api/v1/rules. */
  fileRules?: TriageApiOptions['fileRules'];
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
  /** The admin token check; a no-op without admin_token. */
  private readonly authorized: (header: string | undefined) => boolean;
  /** Alert lifecycle and stored rules (triage-api.ts). */
  private readonly triage: TriageApi;
  /** The edge map and triage page (web/, built into dist/web). */
  private readonly web = new WebAssets();

  constructor(
    private readonly opts: AdminOptions,
    private readonly store: BaselineStore,
    private readonly telemetry: Telemetry,
    private readonly logger: Logger,
  ) {
    this.authorized = bearerCheck(opts.adminToken);
    const triageOpts = { baselineScope: opts.baselineScope, onRulesChanged: opts.onRulesChanged, fileRules: opts.fileRules };
    this.triage = new TriageApi(store, triageOpts, logger, telemetry, sendJson);
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

  /** DELETE /api/v1/edges?cluster=&source=&dest=&protocol=: forget edges (they alert again when next seen). */
  private async forget(res: ServerResponse, url: URL): Promise<void> {
    try {
      const keys = await forgetEdges(this.store, selectorFromParams(url.searchParams), this.opts.baselineScope, this.opts.onForget);
      this.logger.info({ forgotten: keys }, 'edges forgotten');
      const forgotten = keys.map((k) => ({ cluster: this.opts.baselineScope === 'global' ? null : k.scope, protocol: k.protocol, source: k.source, dest: k.dest }));
      return sendJson(res, forgotten.length > 0 ? 200 : 404, { forgotten });
    } catch (err) {
      if (err instanceof EdgeQueryError) return sendJson(res, 400, { error: err.message });
      throw err;
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    // The baseline is a map of who talks to whom: all of /api/v1 is closed when admin_token is set.
    // Probes and Prometheus (/metrics, /healthz, /readyz) stay open.
    if ((url.pathname === '/api/v1' || url.pathname.startsWith('/api/v1/')) && !this.authorized(req.headers.authorization)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      return sendJson(res, 401, { error: 'missing or invalid bearer token (admin_token is set)' });
    }
    if (url.pathname.startsWith('/api/v1/') && (await this.triage.handle(req, res, url))) return;
    if (req.method === 'DELETE' && url.pathname === '/api/v1/edges') return this.forget(res, url);
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' });
    // The page itself is open: it holds no data and asks for the token before any /api/v1 call.
    if (WebAssets.owns(url.pathname)) return this.web.serve(req, res, url.pathname);
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
        try {
          // Streamed: written as read from the store (an error after the first chunk destroys the response).
          const out = { start: () => res.writeHead(200, { 'Content-Type': 'application/json' }), write: chunkSink(res) };
          await writeEdgesPage(this.store, url.searchParams, this.opts.baselineScope, Date.now(), out);
          return void res.end();
        } catch (err) {
          if (err instanceof BadQueryError && !res.headersSent) return sendJson(res, 400, { error: err.message });
          throw err;
        }
      case '/api/v1/alerts':
        try {
          return sendJson(res, 200, await listAlerts(this.store, url.searchParams, Date.now()));
        } catch (err) {
          if (err instanceof BadQueryError) return sendJson(res, 400, { error: err.message });
          throw err;
        }
      case '/api/v1/clusters':
        return sendJson(res, 200, await listClusters(this.store, this.opts.learningPeriodMs ?? 0, Date.now()));
      case '/api/v1/networkpolicies':
        try {
          const out = { start: () => res.writeHead(200, { 'Content-Type': 'application/yaml; charset=utf-8' }), write: chunkSink(res) };
          await writeNetworkPolicies(this.store, url.searchParams.get('cluster') ?? undefined, this.opts.baselineScope, Date.now(), out);
          return void res.end();
        } catch (err) {
          if (err instanceof EdgeQueryError && !res.headersSent) return sendJson(res, 400, { error: err.message });
          throw err;
        }
      default:
        return sendJson(res, 404, { error: `no route ${url.pathname}` });
    }
  }
}
