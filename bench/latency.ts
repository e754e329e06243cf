/**
 * Alert latency under load: the time from an Export call returning (the collector's view) to the
 * webhook receiving the alert, for new edges sent while background load runs at a fixed rate.
 */
import { createServer, type Server } from 'node:http';
import type { Client } from '@grpc/grpc-js';
import { buildRequest, type StampedRequest } from './reducer-requests';
import { exportOnce } from './load';

export class AlertClock {
  readonly arrived = new Map<string, number>();
  private server: Server;
  port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const now = performance.now();
        try {
          const alert = JSON.parse(Buffer.concat(chunks).toString()) as { source: { workload: string } };
          this.arrived.set(alert.source.workload, now);
        } catch {
          // not an alert
        }
        res.end('ok');
      });
    });
  }

  start(): Promise<string> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => {
        const a = this.server.address();
        this.port = typeof a === 'object' && a ? a.port : 0;
        resolve(`http://127.0.0.1:${this.port}/hook`);
      }),
    );
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface LatencyResult {
  samples: number;
  missing: number;
  p50: number;
  p99: number;
  max: number;
  backgroundRps: number;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Background requests at `rps` (open loop) plus one new edge every `everyMs`, for `durationMs`. */
export async function measureLatency(c: Client, clock: AlertClock, workload: StampedRequest[], rps: number, durationMs: number, everyMs = 25): Promise<LatencyResult> {
  const returned = new Map<string, number>();
  const pending: Promise<unknown>[] = [];
  const end = Date.now() + durationMs;
  let sent = 0;
  const start = performance.now();
  const background = setInterval(() => {
    const due = Math.floor(((performance.now() - start) / 1000) * rps) - sent;
    for (let i = 0; i < due; i++) {
      pending.push(exportOnce(c, workload[sent % workload.length].stamp(Date.now())).catch(() => undefined));
      sent++;
    }
  }, 5);
  let n = 0;
  while (Date.now() < end) {
    const src = `lat-${process.pid}-${n++}`;
    const req = buildRequest('bench-cluster', [{ src, dst: 'latency-target' }], Date.now(), 12).bytes;
    pending.push(exportOnce(c, req).then(() => returned.set(src, performance.now())));
    await new Promise((r) => setTimeout(r, everyMs));
  }
  clearInterval(background);
  await Promise.all(pending);
  await new Promise((r) => setTimeout(r, 1000));
  const lat: number[] = [];
  let missing = 0;
  for (const [src, t0] of returned) {
    const t1 = clock.arrived.get(src);
    if (t1 === undefined) missing++;
    // An alert can arrive before the Export answer does: that counts as zero latency.
    else lat.push(Math.max(0, t1 - t0));
  }
  lat.sort((a, b) => a - b);
  return { samples: lat.length, missing, p50: pct(lat, 50), p99: pct(lat, 99), max: lat[lat.length - 1], backgroundRps: sent / (durationMs / 1000) };
}
