import { constants as osConstants } from 'node:os';
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

/**
 * Past shutdown_timeout, how long closing the store and the last push of own metrics may take
 * before the process gives up on a clean stop (a hung store must not outlive the pod's grace).
 */
export const HARD_STOP_MARGIN_MS = 15_000;

/**
 * `edgewatch serve`: run until SIGTERM/SIGINT, then stop in order (intake, in-flight requests,
 * refresh flush, alert drain, store) and exit 0. A second signal exits at once. Node handles the
 * signals itself, so this also works as PID 1 in a container.
 */
export async function serve(raw: Record<string, unknown>): Promise<void> {
  const cfg = loadConfig({ flags: flagValues(raw) });
  const service = new EdgewatchService(cfg);
  await service.start();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      service.logger.warn({ signal: sig }, 'second signal: exiting now');
      process.exit(128 + (osConstants.signals[sig] ?? 0));
    }
    service.logger.info({ signal: sig, shutdownTimeoutMs: cfg.shutdownTimeoutMs }, 'shutting down');
    const hard = setTimeout(() => {
      service.logger.error({ afterMs: cfg.shutdownTimeoutMs + HARD_STOP_MARGIN_MS }, 'shutdown did not finish: exiting');
      process.exit(1);
    }, cfg.shutdownTimeoutMs + HARD_STOP_MARGIN_MS);
    hard.unref();
    service.stop(cfg.shutdownTimeoutMs).then(
      () => process.exit(0),
      (err: unknown) => {
        service.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // SIGHUP re-reads rules_file; a bad file is logged and the rules in force stay.
  process.on('SIGHUP', () => void service.reloadRules());
}
