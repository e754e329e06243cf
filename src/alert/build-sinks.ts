import type { Config } from '../config/config';
import type { Logger } from '../telemetry/logger';
import { LogSink } from './log-sink';
import type { Sink } from './sink';
import { WebhookSink, webhookSinkName } from './webhook-sink';

/**
 * The sinks of a configuration: one webhook sink per URL, or the log sink when there is none.
 * The store must be initialised with exactly these names (`store.init(sinks.map(s => s.name))`).
 */
export function buildSinks(cfg: Pick<Config, 'webhookUrls' | 'webhookSecret' | 'webhookTimeoutMs'>, logger: Logger): Sink[] {
  const sinks: Sink[] = [];
  const urls = new Set<string>();
  const names = new Map<string, number>();
  for (const url of cfg.webhookUrls) {
    if (urls.has(url)) {
      logger.warn({ sink: webhookSinkName(url) }, 'webhook URL listed twice; delivering once');
      continue;
    }
    urls.add(url);
    const sink = new WebhookSink({ url, secret: cfg.webhookSecret, timeoutMs: cfg.webhookTimeoutMs });
    // Two URLs differing only in credentials or query share a name; the outbox needs them apart.
    const seen = names.get(sink.name) ?? 0;
    names.set(sink.name, seen + 1);
    sinks.push(seen === 0 ? sink : renamed(sink, `${sink.name}#${seen + 1}`));
  }
  if (sinks.length === 0) sinks.push(new LogSink(logger));
  return sinks;
}

function renamed(sink: Sink, name: string): Sink {
  return { name, deliver: (alert, signal) => sink.deliver(alert, signal) };
}
