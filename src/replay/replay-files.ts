import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Protocol } from '../core/observation';
import type { OtlpDecoder } from '../decode/decoder';
import type { BaselineLoader } from './baseline-loader';
import { CsvHistory, LineError } from './csv-history';
import { Progress, type ProgressOut } from './progress';
import type { ReplayPoint } from './replay-point';

export interface ReplayInput {
  files: string[];
  loader: BaselineLoader;
  decoder: OtlpDecoder;
  /** CSV without a protocol column: this protocol (default: tcp, or udp for a udp.packets_count export). */
  protocol?: Protocol;
  /** CSV without a cluster column: this cluster. */
  cluster?: string;
  progress: ProgressOut;
  progressIntervalMs?: number;
}

export interface SkipCount {
  count: number;
  /** The first few `file:line` where it happened. */
  examples: string[];
}

export interface ReplaySummary {
  files: number;
  lines: number;
  points: number;
  edges: number;
  newEdges: number;
  /** Lines that yielded nothing, by reason. */
  skippedLines: Record<string, SkipCount>;
  /** Points of good lines not loaded (too old, no workload, …), by reason. */
  skippedPoints: Record<string, number>;
  elapsedMs: number;
}

const EXAMPLES = 3;

/**
 * Reads OTLP JSON lines (the collector's file exporter: one ExportMetricsServiceRequest per
 * line) or a CSV export of the original search's history, detected per file from its first
 * line, optionally gzip-compressed (`.gz`), into the loader. Never throws on bad lines: they are
 * counted with their reason and the first places they occur.
 */
export async function replayFiles(input: ReplayInput): Promise<ReplaySummary> {
  const started = Date.now();
  const sizes = await Promise.all(input.files.map(async (f) => (await stat(f)).size));
  const totalBytes = sizes.reduce((a, b) => a + b, 0);
  const s: ReplaySummary = { files: input.files.length, lines: 0, points: 0, edges: 0, newEdges: 0, skippedLines: {}, skippedPoints: {}, elapsedMs: 0 };
  const progress = new Progress(input.progress, input.progressIntervalMs);
  let doneBytes = 0;
  const state = (): { doneBytes: number; totalBytes: number; points: number; edges: number; skipped: number } => ({
    doneBytes,
    totalBytes,
    points: input.loader.points,
    edges: input.loader.edges,
    skipped: Object.values(s.skippedLines).reduce((n, c) => n + c.count, 0) + Object.values(s.skippedPoints).reduce((n, c) => n + c, 0),
  });
  const skipLine = (reason: string, where: string): void => {
    const c = (s.skippedLines[reason] ??= { count: 0, examples: [] });
    c.count++;
    if (c.examples.length < EXAMPLES) c.examples.push(where);
  };
  const skipPoint = (reason: string, n = 1): void => {
    s.skippedPoints[reason] = (s.skippedPoints[reason] ?? 0) + n;
  };
  const take = async (p: ReplayPoint): Promise<void> => {
    const skip = input.loader.add(p);
    if (skip !== null) skipPoint(skip);
    if (input.loader.full) await input.loader.flush();
  };

  for (const file of input.files) {
    const raw = createReadStream(file);
    raw.on('data', (chunk) => {
      doneBytes += chunk.length;
    });
    const lines = createInterface({ input: file.endsWith('.gz') ? raw.pipe(createGunzip()) : (raw as Readable), crlfDelay: Infinity });
    let lineNo = 0;
    let csv: CsvHistory | null = null;
    let format: 'otlp' | 'csv' | null = null;
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      s.lines++;
      const where = `${file}:${lineNo}`;
      let points: readonly ReplayPoint[];
      try {
        if (format === null) {
          format = line.trimStart().startsWith('{') ? 'otlp' : 'csv';
          if (format === 'csv') {
            csv = new CsvHistory(line, input.protocol, input.cluster);
            continue;
          }
        }
        if (csv !== null) points = [csv.parse(line)];
        else {
          const r = input.decoder.decodeJson(line);
          for (const [reason, n] of Object.entries(r.dropped)) skipPoint(reason.replace(/_/g, ' '), n ?? 0);
          points = r.observations;
        }
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        // A CSV file with an unusable header yields nothing: say so once, not per line.
        if (format === 'csv' && csv === null) {
          skipLine(msg, where);
          break;
        }
        skipLine(err instanceof LineError ? msg : `invalid OTLP JSON: ${msg.slice(0, 120)}`, where);
        continue;
      }
      // Outside the try: a store failure is not a bad line, it ends the replay.
      for (const p of points) await take(p);
      progress.update(state());
    }
    raw.destroy();
  }
  await input.loader.flush();
  progress.done({ ...state(), doneBytes: totalBytes });
  return { ...s, points: input.loader.points, edges: input.loader.edges, newEdges: input.loader.newEdges, elapsedMs: Date.now() - started };
}

/** The summary a person reads at the end (stdout). */
export function formatSummary(s: ReplaySummary): string {
  const lines = [
    `replayed ${s.files} file(s), ${s.lines.toLocaleString('en-US')} lines in ${(s.elapsedMs / 1000).toFixed(1)} s`,
    `  points loaded:   ${s.points.toLocaleString('en-US')}`,
    `  edges:           ${s.edges.toLocaleString('en-US')} (${s.newEdges.toLocaleString('en-US')} new to the baseline)`,
    `  alerts:          0 (replay only fills the baseline)`,
  ];
  const skippedLines = Object.entries(s.skippedLines);
  if (skippedLines.length > 0) {
    lines.push('  skipped lines:');
    for (const [reason, c] of skippedLines) lines.push(`    ${c.count.toLocaleString('en-US')} × ${reason} (e.g. ${c.examples.join(', ')})`);
  }
  const skippedPoints = Object.entries(s.skippedPoints);
  if (skippedPoints.length > 0) {
    lines.push('  skipped points:');
    for (const [reason, n] of skippedPoints) lines.push(`    ${n.toLocaleString('en-US')} × ${reason}`);
  }
  return `${lines.join('\n')}\n`;
}
