/**
 * Runs a real EdgewatchService in-process on loopback ports chosen by the OS, with a real
 * store, and clients that speak to it the way a collector does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configWith, type Config } from '../../src/config/config';
import { EdgewatchService, type BoundPorts, type ServiceOptions } from '../../src/service';
import { createLogger } from '../../src/telemetry/logger';

// The loopback clients live apart so the benches use them without loading the service.
export { closeGrpcClients, EXPORT_PATH, getJson, grpcExport, httpRequest, type GrpcAnswer, type HttpAnswer } from './loopback-clients';

export interface Running {
  svc: EdgewatchService;
  ports: BoundPorts;
  cfg: Readonly<Config>;
  stop(): Promise<void>;
}

/** A temp directory removed by the returned cleanup. */
export function tempDir(prefix = 'ew-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function startService(overrides: Partial<Config>, opts: ServiceOptions = {}): Promise<Running> {
  const cfg = configWith({
    otlpGrpcAddr: '127.0.0.1:0',
    otlpHttpAddr: '127.0.0.1:0',
    adminAddr: '127.0.0.1:0',
    learningPeriodMs: 0,
    logLevel: 'silent',
    ...overrides,
  });
  const svc = new EdgewatchService(cfg, { logger: createLogger(process.env.EW_TEST_LOG ?? 'silent'), ...opts });
  const ports = await svc.start();
  return { svc, ports, cfg, stop: () => svc.stop(2000) };
}

/** Reducer timestamps are aligned to 30 s. */
export function aligned(ms: number): number {
  return ms - (ms % 30_000);
}
