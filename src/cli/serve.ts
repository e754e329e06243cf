import type { Command } from 'commander';
import { loadConfig } from '../config/config';
import { OPTIONS } from '../config/options';
import { EdgewatchService } from '../service';

/** Add one flag per config option (README's configuration table lists the same options). */
export function addConfigFlags(cmd: Command): Command {
  cmd.option('--config <file>', 'YAML config file (also EDGEWATCH_CONFIG)');
  for (const o of OPTIONS) {
    const def = o.default !== undefined && o.type !== 'secret' ? ` (default: ${o.default || 'none'})` : '';
    cmd.option(`${o.flag} <value>`, `${o.description.replace(/`/g, '')} [${o.env}]${def}`);
  }
  return cmd;
}

/** Flags as parsed by commander, mapped to option names. */
export function flagValues(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (raw.config !== undefined) out.config = raw.config;
  for (const o of OPTIONS) {
    const camel = o.flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    if (raw[camel] !== undefined) out[o.name] = raw[camel];
  }
  return out;
}

/** `edgewatch serve`: run until SIGTERM/SIGINT; a second signal exits at once. */
export async function serve(raw: Record<string, unknown>): Promise<void> {
  const cfg = loadConfig({ flags: flagValues(raw) });
  const service = new EdgewatchService(cfg);
  await service.start();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      service.logger.warn({ signal: sig }, 'second signal: exiting now');
      process.exit(1);
    }
    service.logger.info({ signal: sig }, 'shutting down');
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        service.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
