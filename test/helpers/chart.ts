/**
 * Reading helm/edgewatch without a cluster: values.yaml, the templates as text, the templates as
 * YAML with their `{{ }}` parts taken out, and — where a `helm` binary is found (PATH or $HELM) —
 * the chart rendered by `helm template` and checked by `helm lint --strict`. In CI (.ci/run)
 * helm is always there, and describeWithTool turns a missing one into a failure, not a skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';

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

/** An executable on the PATH (or null). */
function onPath(name: string): string | null {
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() !== '' ? which.stdout.trim() : null;
}

/** The helm binary ($HELM or the PATH), or null when none is installed. */
export function helmBinary(): string | null {
  const fromEnv = process.env.HELM;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return onPath('helm');
}

/** `kustomize` or, failing that, `kubectl` (its built-in kustomize), or null. */
export function kustomizeTool(): string | null {
  return onPath('kustomize') ?? onPath('kubectl');
}

/**
 * describe() for tests that need a tool (helm, kubectl). Where the tool is missing they skip, but
 * not in CI (EDGEWATCH_CI=1, set by .ci/run, which installs the tools): there the missing tool is
 * one failing test, so that a green CI never hides tests that did not run.
 */
export function describeWithTool(tool: string, found: string | null, name: string, body: (path: string) => void): void {
  if (found !== null) {
    describe(name, () => body(found));
  } else if (process.env.EDGEWATCH_CI === '1') {
    describe(name, () => {
      test(`${tool} is installed (.ci/run puts it on the PATH)`, () => {
        throw new Error(`${tool} not found on the PATH: these tests must run in CI`);
      });
    });
  } else {
    describe.skip(name, () => body(''));
  }
}

/** Values for one helm run: `--set` pairs and, for lists and maps, a values file (`-f`). */
export interface HelmValues {
  sets?: Record<string, string>;
  values?: Doc;
}

/** Run helm with the values as arguments (a values file in a temp dir removed afterwards). */
function withValues<T>(v: HelmValues, run: (args: string[]) => T): T {
  const args = Object.entries(v.sets ?? {}).flatMap(([k, val]) => ['--set', `${k}=${val}`]);
  if (v.values === undefined) return run(args);
  const dir = mkdtempSync(join(tmpdir(), 'ew-helm-'));
  try {
    writeFileSync(join(dir, 'values.yaml'), stringify(v.values));
    return run(['-f', join(dir, 'values.yaml'), ...args]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `helm template` with `--set` pairs; the rendered documents. Helm's message is in the error when it refuses. */
export function helmTemplate(helm: string, sets: Record<string, string> = {}): Doc[] {
  return helmRender(helm, { sets });
}

/** `helm template` with the values; the rendered documents. */
export function helmRender(helm: string, v: HelmValues): Doc[] {
  const out = withValues(v, (args) => execFileSync(helm, ['template', 'r', CHART, '--namespace', 'security', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }));
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Doc | null)
    .filter((d): d is Doc => d !== null);
}

/** `helm lint --strict` with the values: whether it passed, and its output. */
export function helmLint(helm: string, v: HelmValues = {}): { ok: boolean; output: string } {
  const r = withValues(v, (args) => spawnSync(helm, ['lint', '--strict', CHART, '--namespace', 'security', ...args], { encoding: 'utf8' }));
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
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
