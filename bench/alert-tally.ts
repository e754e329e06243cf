/** A webhook receiver that counts what it was sent: alerts by rule, and the edges storm summaries held back. */
import { createServer, type Server } from 'node:http';

const STORM_RULE = 'kubernetes_newly_seen_edge_storm';

export class AlertTally {
  /** Alerts received, by rule. */
  readonly byRule = new Map<string, number>();
  /** Sum of `held_back` over the storm summaries received. */
  heldBack = 0;
  private readonly server: Server;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const a = JSON.parse(Buffer.concat(chunks).toString()) as { rule?: string; held_back?: number };
          const rule = a.rule ?? '?';
          this.byRule.set(rule, (this.byRule.get(rule) ?? 0) + 1);
          if (rule === STORM_RULE) this.heldBack += a.held_back ?? 0;
        } catch {
          // not an alert
        }
        res.end('ok');
      });
    });
  }

  /** Alerts other than storm summaries. */
  get edgeAlerts(): number {
    let n = 0;
    for (const [rule, c] of this.byRule) if (rule !== STORM_RULE) n += c;
    return n;
  }

  get summaries(): number {
    return this.byRule.get(STORM_RULE) ?? 0;
  }

  start(): Promise<string> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => {
        const a = this.server.address();
        resolve(`http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hook`);
      }),
    );
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
