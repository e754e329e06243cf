import type { Command } from 'commander';
import { ConfigError } from '../core/errors';
import { OtlpDecoder } from '../decode/decoder';
import { BaselineLoader } from '../replay/baseline-loader';
import { parseProtocol } from '../admin/edges-admin';
import type { ProgressOut } from '../replay/progress';
import { formatSummary, replayFiles, type ReplaySummary } from '../replay/replay-files';
import { addStoreFlags, openCliStore } from './store-cli';

export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: ProgressOut;
}

export function addReplayCommand(program: Command, io: CliIo = { stdout: process.stdout, stderr: process.stderr }): void {
  addStoreFlags(
    program
      .command('replay')
      .description('load history into the baseline without alerting: OTLP JSON lines (collector file exporter) or a CSV export of the search')
      .argument('<files...>', 'files to load (.gz is decompressed)'),
  )
    .option('--protocol <tcp|udp>', 'protocol of CSV rows without a protocol column (default tcp; udp for a udp.packets_count export)')
    .option('--cluster <name>', 'cluster of CSV rows without a k8s.cluster.name column')
    .option('--batch-size <edges>', 'distinct edges per store write', '5000')
    .action(async (files: string[], opts: Record<string, unknown>) => {
      await replay(files, opts, io);
    });
}

/** `edgewatch replay FILE…`: fill the baseline from history; progress on stderr, summary on stdout. */
export async function replay(files: string[], raw: Record<string, unknown>, io: CliIo): Promise<ReplaySummary> {
  let protocol;
  try {
    protocol = parseProtocol(typeof raw.protocol === 'string' ? raw.protocol : undefined);
  } catch (err) {
    throw new ConfigError('--protocol', 'tcp or udp', (err as Error).message);
  }
  const batchEdges = Number(raw.batchSize ?? 5000);
  if (!Number.isInteger(batchEdges) || batchEdges < 1) throw new ConfigError('--batch-size', 'a positive integer', raw.batchSize);
  const { cfg, store } = await openCliStore(raw);
  try {
    const loader = new BaselineLoader(store, {
      baselineWindowMs: cfg.baselineWindowMs,
      clockSkewMs: cfg.clockSkewMs,
      baselineScope: cfg.baselineScope,
      nowMs: Date.now(),
      batchEdges,
    });
    const summary = await replayFiles({
      files,
      loader,
      // samples only when a traffic detection is on (detections option)
      decoder: new OtlpDecoder({ ...cfg, trafficMetrics: [] }),
      protocol,
      cluster: typeof raw.cluster === 'string' ? raw.cluster : undefined,
      progress: io.stderr,
    });
    io.stdout.write(formatSummary(summary));
    return summary;
  } finally {
    await store.close();
  }
}
