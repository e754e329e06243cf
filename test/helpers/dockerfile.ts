/**
 * A small Dockerfile reader for tests that check the image without a container engine:
 * instructions (continuations joined, comments dropped) grouped by stage, JSON-form arguments
 * decoded, and .dockerignore matching for the build context.
 */
import { readFileSync } from 'node:fs';

export interface Instruction {
  op: string;
  /** The raw argument text after the instruction keyword. */
  args: string;
}

export interface Stage {
  name: string;
  /** Image reference with build ARG defaults substituted. */
  from: string;
  instructions: Instruction[];
}

export function parseDockerfile(path: string): Stage[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const joined: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (current === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    if (current !== '' && line.trimStart().startsWith('#')) continue; // comment inside a continuation
    if (line.endsWith('\\')) {
      current += line.slice(0, -1) + ' ';
      continue;
    }
    joined.push((current + line).trim());
    current = '';
  }
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const text of joined) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(text);
    if (!m) continue;
    const op = m[1].toUpperCase();
    const rest = m[2].replace(/\s+/g, ' ').trim();
    if (op === 'ARG' && stages.length === 0) {
      const [k, v] = rest.split('=');
      args.set(k, v ?? '');
      continue;
    }
    if (op === 'FROM') {
      const f = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!f) throw new Error(`unreadable FROM: ${rest}`);
      const from = f[1].replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => args.get(a ?? b ?? '') ?? '');
      stages.push({ name: f[2] ?? String(stages.length), from, instructions: [] });
      continue;
    }
    if (stages.length === 0) throw new Error(`${op} before FROM`);
    stages[stages.length - 1].instructions.push({ op, args: rest });
  }
  return stages;
}

/** `["a", "b"]` (exec form) or a shell-form string. */
export function execForm(args: string): string[] {
  const t = args.trim();
  if (t.startsWith('[')) return JSON.parse(t) as string[];
  return ['/bin/sh', '-c', t];
}

/** ENV instructions of a stage as a map (`K=V K2=V2` and `K V` forms). */
export function stageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.op === 'ENV')) {
    const pairs = i.args.match(/(\w+)=("[^"]*"|\S*)/g);
    if (pairs) {
      for (const p of pairs) {
        const eq = p.indexOf('=');
        env[p.slice(0, eq)] = p.slice(eq + 1).replace(/^"|"$/g, '');
      }
    } else {
      const [k, ...v] = i.args.split(' ');
      env[k] = v.join(' ');
    }
  }
  return env;
}

/** COPY instruction parts: `--from=` stage (if any), sources, destination. */
export function copyParts(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.split(' ');
  let from: string | undefined;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift() ?? '';
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
  }
  const dest = words.pop() ?? '';
  return { from, sources: words, dest };
}

/** True when `.dockerignore` patterns exclude `path` (relative to the context) from the build context. */
export function dockerIgnored(patterns: string[], path: string): boolean {
  let ignored = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+|\/+$/g, '');
    if (globRegExp(pattern).test(path)) ignored = !negate;
  }
  return ignored;
}

/** Docker's pattern syntax: `**` any depth, `*` and `?` within one path segment; a match covers what is below. */
function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}(/.*)?$`);
}

export function readDockerignore(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}
