import type { Command } from 'commander';
import { BadQueryError, listEdges } from '../admin/api';
import { chunkSink } from '../admin/chunk-sink';
import { EdgeQueryError, forgetEdges, parseProtocol, writeNetworkPolicies } from '../admin/edges-admin';
import { EdgewatchError } from '../core/errors';
import type { CliIo } from './replay';
import { addStoreFlags, openCliStore, type CliStore } from './store-cli';

interface ListedEdge {
  cluster: string | null;
  protocol: string;
  source: string;
  dest: string;
  last_seen: string;
}

/** `edgewatch edges list|forget|export`, against the store like `serve` (same --config/--store). */
export function addEdgesCommand(program: Command, io: CliIo = { stdout: process.stdout, stderr: process.stderr }): void {
  const edges = program.command('edges').description('inspect and edit the baseline: list, forget, export as NetworkPolicy YAML');
  addStoreFlags(edges.command('list').description('edges in the baseline, most recently seen first'))
    .option('--cluster <name>', 'only this cluster')
    .option('--protocol <tcp|udp>', 'only this protocol')
    .option('--since <time>', 'seen since: ISO time, epoch ms or a duration back from now (1h)')
    .option('--limit <n>', 'at most this many', '1000')
    .option('--json', 'JSON (as GET /api/v1/edges answers) instead of a table')
    .action((opts: Record<string, unknown>) => withStore(opts, (s) => list(s, opts, io)));
  addStoreFlags(edges.command('forget').description('delete an edge from the baseline: its next point, at any running replica, alerts again (replicas read the forget log every flush_interval)'))
    .requiredOption('--source <workload>', 'source workload')
    .requiredOption('--dest <workload>', 'destination workload')
    .option('--cluster <name>', 'cluster (required with baseline_scope cluster)')
    .option('--protocol <tcp|udp>', 'only this protocol (default: both)')
    .action((opts: Record<string, unknown>) => withStore(opts, (s) => forget(s, opts, io)));
  addStoreFlags(edges.command('export').description('the baseline of a cluster as Kubernetes NetworkPolicy YAML (one policy per destination workload)'))
    .option('--cluster <name>', 'cluster (required with baseline_scope cluster)')
    .action((opts: Record<string, unknown>) => withStore(opts, (s) => exportPolicies(s, opts, io)));
}

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

async function withStore(opts: Record<string, unknown>, fn: (s: CliStore) => Promise<void>): Promise<void> {
  const s = await openCliStore(opts);
  try {
    await fn(s);
  } catch (err) {
    // Bad arguments are a usage error (exit 2 with the message), like a bad config value.
    if (err instanceof EdgeQueryError || err instanceof BadQueryError) throw new EdgewatchError('INVALID_ARGUMENT', err.message, false);
    throw err;
  } finally {
    await s.store.close();
  }
}

async function list({ cfg, store }: CliStore, opts: Record<string, unknown>, io: CliIo): Promise<void> {
  const params = new URLSearchParams();
  for (const k of ['cluster', 'protocol', 'since', 'limit'] as const) {
    const v = text(opts[k]);
    if (v !== undefined) params.set(k, v);
  }
  const body = (await listEdges(store, params, cfg.baselineScope, Date.now())) as { edges: ListedEdge[] };
  if (opts.json === true) return void io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  const rows = body.edges.map((e) => [e.cluster ?? '*', e.protocol, e.source, e.dest, e.last_seen]);
  const head = ['CLUSTER', 'PROTO', 'SOURCE', 'DEST', 'LAST SEEN'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  io.stdout.write(`${[head, ...rows].map(line).join('\n')}\n`);
}

async function forget({ cfg, store }: CliStore, opts: Record<string, unknown>, io: CliIo): Promise<void> {
  const sel = { cluster: text(opts.cluster), source: String(opts.source), dest: String(opts.dest), protocol: parseProtocol(text(opts.protocol)) };
  const keys = await forgetEdges(store, sel, cfg.baselineScope);
  if (keys.length === 0) {
    io.stdout.write('no such edge in the baseline\n');
    process.exitCode = 1;
    return;
  }
  // The store's forget log tells every running replica: each drops the edge at its next flush.
  for (const k of keys) io.stdout.write(`forgot ${k.scope} ${k.protocol} ${k.source} → ${k.dest}\n`);
}

async function exportPolicies({ cfg, store }: CliStore, opts: Record<string, unknown>, io: CliIo): Promise<void> {
  await writeNetworkPolicies(store, text(opts.cluster), cfg.baselineScope, Date.now(), { start: () => undefined, write: chunkSink(io.stdout) });
}
