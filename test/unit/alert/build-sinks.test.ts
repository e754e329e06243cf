import { Writable } from 'node:stream';
import { buildSinks } from '../../../src/alert/build-sinks';
import { LogSink } from '../../../src/alert/log-sink';
import { WebhookSink } from '../../../src/alert/webhook-sink';
import type { Alert } from '../../../src/core/alert';
import { createLogger } from '../../../src/telemetry/logger';

function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

const cfg = { webhookUrls: [] as string[], webhookSecret: undefined, webhookTimeoutMs: 1000 };

describe('buildSinks', () => {
  it('uses the log sink when no webhook is configured', () => {
    const sinks = buildSinks(cfg, capture().logger);
    expect(sinks).toHaveLength(1);
    expect(sinks[0]).toBeInstanceOf(LogSink);
    expect(sinks[0].name).toBe('log');
  });

  it('builds one webhook sink per URL, with distinct names and no secrets in them', () => {
    const urls = ['https://a.example/hook', 'https://u:secretpw@b.example/x?k=1', 'https://b.example/x?k=2', 'https://a.example/hook'];
    const { logger, lines } = capture();
    const sinks = buildSinks({ ...cfg, webhookUrls: urls, webhookSecret: 'k' }, logger);
    expect(sinks.map((s) => s.name)).toEqual(['webhook:a.example/hook', 'webhook:b.example/x', 'webhook:b.example/x#2']);
    expect(sinks[0]).toBeInstanceOf(WebhookSink);
    expect(lines.join('')).not.toContain('secretpw');
  });
});

describe('LogSink', () => {
  it('logs one warn line "new edge" with the alert and always succeeds', async () => {
    const { logger, lines } = capture();
    const alert = { id: 'abc', title: 'Kubernetes newly seen TCP edge in kubernetes cluster c1' } as unknown as Alert;
    const result = await new LogSink(logger).deliver(alert);
    expect(result).toEqual({ kind: 'success' });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]) as { level: number; msg: string; alert: Alert };
    expect(line.level).toBe(40);
    expect(line.msg).toBe('new edge');
    expect(line.alert).toEqual(alert);
  });
});
