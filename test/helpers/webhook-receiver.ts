import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver saw it. */
export interface ReceivedRequest {
  /** 0-based arrival order. */
  index: number;
  method: string;
  /** Path and query. */
  url: string;
  /** Lower-cased header names, as node gives them. */
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
  /** Date.now() when the body had been read. */
  receivedAt: number;
  /** Requests in progress (this one included) when this one arrived. */
  concurrent: number;
}

/** How to answer one request. */
export interface ScriptedResponse {
  /** Default 200. */
  status?: number;
  /** Sent as the Retry-After header (seconds or an HTTP-date). */
  retryAfter?: string | number;
  headers?: Record<string, string>;
  /** Default `{"ok":true}` for 2xx, empty otherwise. */
  body?: string;
  /** Wait this long before answering (a slow or hanging server). */
  delayMs?: number;
  /** Destroy the connection instead of answering (after delayMs). */
  drop?: boolean;
}

export type Responder = (req: ReceivedRequest) => ScriptedResponse;

/**
 * A real HTTP server on 127.0.0.1, port 0, that records every request and answers from a script:
 * queued responses are used first, one per request in arrival order, then the fallback responder
 * (default 200). For webhook tests of any kind (alert stage, end-to-end).
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  /** Most requests seen in progress at once. */
  maxConcurrent = 0;
  private active = 0;
  private readonly queue: ScriptedResponse[] = [];
  private fallback: Responder = () => ({ status: 200 });
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<() => void>();
  private port = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    const receiver = new WebhookReceiver(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => receiver.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    receiver.port = (server.address() as AddressInfo).port;
    return receiver;
  }

  /** URL of this receiver; `path` may carry a query. */
  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Answer the next requests with these, in order. */
  enqueue(...responses: ScriptedResponse[]): this {
    this.queue.push(...responses);
    return this;
  }

  /** Answer every request past the queue with this (a fixed answer or a function of the request). */
  setDefault(response: ScriptedResponse | Responder): this {
    this.fallback = typeof response === 'function' ? response : () => response;
    return this;
  }

  /** Requests whose JSON body has this `id` (an alert id). */
  byAlertId(id: string): ReceivedRequest[] {
    return this.requests.filter((r) => isRecord(r.json) && r.json.id === id);
  }

  /** Resolves with all requests once at least `n` arrived; rejects after `timeoutMs`. */
  waitFor(n: number, timeoutMs = 5000): Promise<ReceivedRequest[]> {
    return this.waitUntil(() => this.requests.length >= n, timeoutMs, `${n} requests`).then(() => this.requests);
  }

  /** Resolves once `predicate` holds over the requests received; rejects after `timeoutMs`. */
  waitUntil(predicate: (requests: ReceivedRequest[]) => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    if (predicate(this.requests)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this.requests)) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`webhook receiver: timed out after ${timeoutMs} ms waiting for ${what}; got ${this.requests.length} requests`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Forget recorded requests and scripted responses (the server keeps running). */
  reset(): void {
    this.requests.length = 0;
    this.queue.length = 0;
    this.maxConcurrent = 0;
    this.fallback = () => ({ status: 200 });
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.active += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.active);
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      this.active -= 1;
    };
    res.on('close', finish);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks);
      const received: ReceivedRequest = {
        index: this.requests.length,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawBody,
        json: parseJson(rawBody),
        receivedAt: Date.now(),
        concurrent: this.active,
      };
      this.requests.push(received);
      const script = this.queue.shift() ?? this.fallback(received);
      for (const check of [...this.waiters]) check();
      this.answer(req, res, script);
    });
  }

  private answer(req: IncomingMessage, res: ServerResponse, script: ScriptedResponse): void {
    const act = (): void => {
      if (script.drop) {
        req.socket.destroy();
        return;
      }
      const status = script.status ?? 200;
      const headers: Record<string, string> = { ...script.headers };
      if (script.retryAfter !== undefined) headers['Retry-After'] = String(script.retryAfter);
      const body = script.body ?? (status >= 200 && status < 300 ? '{"ok":true}' : '');
      if (body !== '' && headers['Content-Type'] === undefined) headers['Content-Type'] = 'application/json';
      if (!res.destroyed) res.writeHead(status, headers).end(body);
    };
    if (!script.delayMs) return act();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      act();
    }, script.delayMs);
    this.timers.add(timer);
  }
}

function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
