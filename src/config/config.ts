import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import type { Severity } from '../core/alert';
import { ConfigError } from '../core/errors';
import { DETECTIONS, type Detection } from '../core/traffic';
import { parseBytes, parseDuration } from './duration';
import { OPTIONS, type OptionSpec } from './options';
import { parseSinksConfig, type SinkConfig } from './sinks-config';

export interface Config {
  otlpGrpcAddr: string;
  otlpHttpAddr: string;
  adminAddr: string;
  store: string;
  redisPassword?: string;
  redisKeyPrefix: string;
  baselineWindowMs: number;
  detectionWindowMs: number;
  learningPeriodMs: number;
  clockSkewMs: number;
  baselineScope: 'cluster' | 'global';
  metrics: string[];
  clusterAttr: string;
  sourceAttr: string;
  destAttr: string;
  sourceNamespaceAttr: string;
  destNamespaceAttr: string;
  trafficMetrics: string[];
  sourceProcessAttr: string;
  destProcessAttr: string;
  detections: Detection[];
  trafficMinBaselinePoints: number;
  trafficAnomalySigma: number;
  trafficMinAnomalies: number;
  trafficStdevFloorRatio: number;
  trafficMaxKeys: number;
  webhookUrls: string[];
  webhookSecret?: string;
  webhookTimeoutMs: number;
  deliveryDeadlineMs: number;
  deliveryConcurrency: number;
  authToken?: string;
  maxMessageBytes: number;
  maxInflightRequests: number;
  cacheMaxEdges: number;
  cacheWarm: 'true' | 'false';
  flushIntervalMs: number;
  lastSeenResolutionMs: number;
  pruneIntervalMs: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsClientCaFile?: string;
  tlsReloadIntervalMs: number;
  selfOtlpEndpoint?: string;
  selfOtlpIntervalMs: number;
  shutdownTimeoutMs: number;
  rulesFile?: string;
  rulesPollIntervalMs: number;
  newWorkloadGraceMs: number;
  severityNewPath: Severity;
  severityNewProtocol: Severity;
  severityNewWorkload: Severity;
  severityCrossNamespaceRaise: number;
  stormMaxAlertsPerMinute: number;
  /** Not an option (tests, embedding): the storm guard's window instead of a minute. */
  stormWindowMs?: number;
  externalUrl?: string;
  adminToken?: string;
  /** The file's `sinks:` list (README "Sinks"); the file is its only source. */
  sinks: SinkConfig[];
}

type Raw = string | number | boolean | string[];

/** Where each layer comes from; later layers win. */
export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  /** Values from `serve` flags, keyed by option name (commander's camelCase of the flag). */
  flags?: Record<string, unknown>;
  /** YAML file path; defaults to env EDGEWATCH_CONFIG. */
  file?: string;
}

const fileSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]).nullable());

function parseValue(spec: OptionSpec, raw: Raw, origin: string): unknown {
  const field = `${spec.key} (${origin})`;
  const text = Array.isArray(raw) ? raw.join(',') : String(raw);
  switch (spec.type) {
    case 'string':
    case 'secret':
      return text;
    case 'addr': {
      const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(text);
      if (!m || Number(m[2]) > 65535) throw new ConfigError(field, 'host:port (e.g. 0.0.0.0:4317)', raw);
      return text;
    }
    case 'duration': {
      const ms = parseDuration(text);
      if (ms === null) throw new ConfigError(field, 'a duration like 30d, 1h, 90s, 500ms or 0', raw);
      return ms;
    }
    case 'int': {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) throw new ConfigError(field, 'a positive integer', raw);
      return n;
    }
    case 'count': {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 0) throw new ConfigError(field, 'an integer ≥ 0 (0 disables)', raw);
      return n;
    }
    case 'number': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new ConfigError(field, 'a number ≥ 0 (e.g. 3 or 0.05)', raw);
      return n;
    }
    case 'bytes': {
      const n = parseBytes(text);
      if (n === null || n < 1024) throw new ConfigError(field, 'a size of at least 1KiB like 64MiB or 4194304', raw);
      return n;
    }
    case 'list':
      return text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    case 'enum':
      if (!spec.choices?.includes(text)) throw new ConfigError(field, `one of ${spec.choices?.join('|')}`, raw);
      return text;
  }
}

/** The file's option scalars, and its structured `sinks:` value (validated by loadConfig, which knows the env). */
function readFileLayer(path: string, structured: { sinks?: unknown }): Record<string, Raw> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('EDGEWATCH_CONFIG', 'a readable YAML file', `${path} (${(err as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError(`EDGEWATCH_CONFIG`, 'valid YAML', `${path}: ${(err as Error).message}`);
  }
  // Structured keys (lists of objects) have their own schema; the rest are option scalars.
  if (isPlainObject(doc)) {
    const { sinks, ...scalars } = doc;
    structured.sinks = sinks;
    doc = scalars;
  }
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`${issue.path.join('.') || '(top level)'} (${path})`, 'a mapping of option keys to scalar or list values', doc);
  }
  const known = new Set(OPTIONS.map((o) => o.key));
  const out: Record<string, Raw> = {};
  for (const [k, v] of Object.entries(parsed.data)) {
    if (!known.has(k)) throw new ConfigError(`${k} (${path})`, `one of the keys ${[...known].join(', ')}`, k);
    if (v !== null) out[k] = Array.isArray(v) ? v.map(String) : v;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Build the configuration from defaults ← file ← env ← flags; validated, then frozen. */
export function loadConfig(sources: ConfigSources = {}): Readonly<Config> {
  const env = sources.env ?? process.env;
  const flags = sources.flags ?? {};
  const filePath = sources.file ?? (typeof flags.config === 'string' ? flags.config : undefined) ?? env.EDGEWATCH_CONFIG;
  const structured: { sinks?: unknown } = {};
  const fileLayer = filePath ? readFileLayer(filePath, structured) : {};
  const out: Record<string, unknown> = {};
  for (const spec of OPTIONS) {
    let raw: Raw | undefined;
    let origin = 'default';
    if (spec.default !== undefined) raw = spec.default;
    if (fileLayer[spec.key] !== undefined) [raw, origin] = [fileLayer[spec.key], 'file'];
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') [raw, origin] = [fromEnv, spec.env];
    const fromFlag = flags[spec.name];
    if (fromFlag !== undefined) [raw, origin] = [fromFlag as Raw, spec.flag];
    if (raw !== undefined) out[spec.name] = parseValue(spec, raw, origin);
  }
  out.sinks = parseSinksConfig(structured.sinks, filePath ?? '', env);
  const cfg = out as unknown as Config;
  if (cfg.externalUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(cfg.externalUrl)) throw new ConfigError('external_url', 'an http:// or https:// URL', cfg.externalUrl);
  for (const m of cfg.metrics) {
    const proto = m.split('.')[0];
    if (proto !== 'tcp' && proto !== 'udp') throw new ConfigError('metrics', 'metric names starting with tcp. or udp.', m);
  }
  if (cfg.metrics.length === 0) throw new ConfigError('metrics', 'at least one metric name', '');
  for (const m of cfg.trafficMetrics) {
    const proto = m.split('.')[0];
    if (proto !== 'tcp' && proto !== 'udp') throw new ConfigError('traffic_metrics', 'metric names starting with tcp. or udp.', m);
  }
  for (const d of cfg.detections) {
    if (!(DETECTIONS as readonly string[]).includes(d)) throw new ConfigError('detections', `a list of ${DETECTIONS.join(', ')}`, d);
  }
  if (cfg.detections.length === 0) throw new ConfigError('detections', `at least one of ${DETECTIONS.join(', ')}`, '');
  if (!(cfg.trafficAnomalySigma > 0)) throw new ConfigError('traffic_anomaly_sigma', 'a number greater than 0', cfg.trafficAnomalySigma);
  for (const u of cfg.webhookUrls) {
    if (!/^https?:\/\/[^\s]+$/.test(u)) throw new ConfigError('webhook_url', 'http:// or https:// URLs', u);
  }
  if (cfg.detectionWindowMs > cfg.baselineWindowMs) {
    throw new ConfigError('detection_window', `a duration not longer than baseline_window (${cfg.baselineWindowMs} ms)`, cfg.detectionWindowMs);
  }
  if (cfg.baselineWindowMs <= 0) throw new ConfigError('baseline_window', 'a duration greater than 0', cfg.baselineWindowMs);
  return Object.freeze(cfg);
}

/** Config for tests and embedding: defaults with overrides, validated the same way. */
export function configWith(overrides: Partial<Config>): Readonly<Config> {
  return Object.freeze({ ...loadConfig({ env: {} }), ...overrides });
}
