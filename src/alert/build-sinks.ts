import type { Config } from '../config/config';
import { ConfigError } from '../core/errors';
import type { Logger } from '../telemetry/logger';
import { createConfiguredSink } from './configured-sink';
import { LogSink } from './log-sink';
import type { Sink } from './sink';
import { WebhookSink, webhookSinkName } from './webhook-sink';

type SinkSettings = Pick<Config, 'webhookUrls' | 'webhookSecret' | 'webhookTimeoutMs'> & Partial<Pick<Config, 'sinks' | 'externalUrl'>>;

/**
 * The sinks of a configuration: one generic webhook sink per `webhook_url`, then one per entry
 * of the file's `sinks:` list; the log sink when there is none. The store must be initialised
 * with exactly these names (`store.init(sinks.map(s => s.name))`).
 */
export function buildSinks(cfg: SinkSettings, logger: Logger): Sink[] {
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
  const taken = new Set(sinks.map((s) => s.name));
  (cfg.sinks ?? []).forEach((sc, i) => {
    const sink = createConfiguredSink(sc, i, { timeoutMs: cfg.webhookTimeoutMs, externalUrl: cfg.externalUrl });
    // Names key the outbox, so a silent rename here could send queued alerts to another sink
    // after the list is reordered: ask for an explicit name instead.
    if (taken.has(sink.name)) throw new ConfigError(`sinks[${i}].name`, `a name no other sink has (set \`name:\` on one of them)`, sink.name);
    taken.add(sink.name);
    sinks.push(sink);
  });
  if (sinks.length === 0) sinks.push(new LogSink(logger));
  return sinks;
}

/** Longest timeout of any sink: the dispatcher bounds each attempt by it. */
export function maxSinkTimeoutMs(cfg: SinkSettings): number {
  return Math.max(cfg.webhookTimeoutMs, ...(cfg.sinks ?? []).map((s) => s.timeoutMs ?? 0));
}

function renamed(sink: Sink, name: string): Sink {
  return { name, deliver: (alert, signal) => sink.deliver(alert, signal) };
}
