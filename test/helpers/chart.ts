/**
 * Reading helm/edgewatch without a cluster: values.yaml, the templates as text, the templates as
 * YAML with their `{{ }}` parts taken out, and — where a `helm` binary is found (PATH or $HELM) —
 * the chart rendered by `helm template`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export const CHART = join(__dirname, '../../helm/edgewatch');

export type Doc = Record<string, unknown>;

export function chartValues(): Doc {
  return parse(readFileSync(join(CHART, 'values.yaml'), 'utf8')) as Doc;
}

export function templateText(name: string): string {
  return readFileSync(join(CHART, 'templates', name), 'utf8');
}

export function templateNames(): string[] {
  return readdirSync(join(CHART, 'templates'));
}

/**
 * A template as YAML: lines that are only template actions (`{{- if … }}`, `{{- toYaml … }}`)
 * are dropped and inline `{{ … }}` become the string TEMPLATED. What is left must still be YAML.
 */
export function strippedDocs(name: string): Doc[] {
  const text = templateText(name)
    .split('\n')
    .filter((l) => !/^\s*\{\{.*\}\}\s*$/.test(l))
    .map((l) => l.replace(/\{\{.*?\}\}/g, 'TEMPLATED'))
    .join('\n');
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
}

/** The helm binary, or null when none is installed (then tests use strippedDocs only). */
export function helmBinary(): string | null {
  const fromEnv = process.env.HELM;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const which = spawnSync('sh', ['-c', 'command -v helm'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() !== '' ? which.stdout.trim() : null;
}

/** `helm template` with `--set` pairs; the rendered documents. */
export function helmTemplate(helm: string, sets: Record<string, string> = {}): Doc[] {
  const args = ['template', 'r', CHART, '--namespace', 'security'];
  for (const [k, v] of Object.entries(sets)) args.push('--set', `${k}=${v}`);
  const out = execFileSync(helm, args, { encoding: 'utf8' });
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
}

/** Follow a dotted path through nested objects (array indexes as numbers). */
export function at(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

export const ofKind = (docs: Doc[], kind: string): Doc | undefined => docs.find((d) => d.kind === kind);
