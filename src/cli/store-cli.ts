import type { Command } from 'commander';
import { loadConfig, type Config } from '../config/config';
import { openStore } from '../store/open-store';
import { SqliteStore } from '../store/sqlite/sqlite-store';
import type { BaselineStore } from '../store/store';

/** `--config` and `--store`, as `serve` takes them (environment variables apply too). */
export function addStoreFlags(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'YAML config file, as for serve (also EDGEWATCH_CONFIG)')
    .option('--store <url>', 'baseline store URL, as for serve (also EDGEWATCH_STORE)');
}

export interface CliStore {
  cfg: Readonly<Config>;
  store: BaselineStore;
}

/**
 * The configuration and the opened store of a CLI command other than serve. The command never
 * enqueues alerts, so it registers no sinks of its own: with SQLite, whose sink registry is
 * shared by the processes on the file, it re-registers what is there, so a service running on
 * the same file keeps delivering to its sinks.
 */
export async function openCliStore(raw: Record<string, unknown>): Promise<CliStore> {
  const flags: Record<string, unknown> = {};
  if (typeof raw.config === 'string') flags.config = raw.config;
  if (typeof raw.store === 'string') flags.store = raw.store;
  const cfg = loadConfig({ flags });
  const store = openStore(cfg.store, { redisPassword: cfg.redisPassword, redisKeyPrefix: cfg.redisKeyPrefix });
  await store.init(store instanceof SqliteStore ? await store.registeredSinks() : []);
  return { cfg, store };
}
