/**
 * The Dockerfile without a container engine: its stages are replayed in temp directories
 * (COPY from the build context or another stage, RUN of the build stages as shell commands in
 * WORKDIR), then the runtime stage's ENTRYPOINT is started with its ENV and /healthz and the
 * HEALTHCHECK command are asked. The runtime stage's own RUN (apt-get tini, /data owner) needs
 * root in an image and is checked as text instead.
 *
 * Slow by nature (two `npm ci` and a TypeScript build): ~20 s here. better-sqlite3's prebuilt
 * binary, which `npm ci` downloads from GitHub in a real build, is handed to prebuild-install as
 * a local prebuild made from this checkout's node_modules (no network here besides the npm
 * registry); everything else comes from the npm cache or registry as in a real build.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { tempDir } from '../../helpers/service-harness';
import { freePort, httpStatus, ROOT, startChild } from '../../helpers/child-service';
import { serviceNodeFlags } from '../../helpers/node-flags';
import { copyParts, dockerIgnored, execForm, parseDockerfile, readDockerignore, stageEnv, type Stage } from '../../helpers/dockerfile';

const stages = parseDockerfile(join(ROOT, 'Dockerfile'));
const ignore = readDockerignore(join(ROOT, '.dockerignore'));
const runtime = stages[stages.length - 1];
const ops = (s: Stage, op: string): string[] => s.instructions.filter((i) => i.op === op).map((i) => i.args);

let tmp: ReturnType<typeof tempDir>;

/** Env that lets `npm ci` install better-sqlite3 from a local prebuild instead of GitHub. */
function localPrebuildEnv(dir: string): Record<string, string> {
  const pkgDir = join(ROOT, 'node_modules/better-sqlite3');
  const binary = join(pkgDir, 'build/Release/better_sqlite3.node');
  if (!existsSync(binary)) return {}; // falls back to compiling from source (slow)
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string };
  const tarball = join(dir, `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`);
  execFileSync('tar', ['czf', tarball, 'build/Release/better_sqlite3.node'], { cwd: pkgDir });
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

/** Replays the stages; returns each stage's WORKDIR on disk. */
function replay(buildEnv: Record<string, string>): Map<string, { dir: string; workdir: string }> {
  const done = new Map<string, { dir: string; workdir: string }>();
  for (const stage of stages) {
    const dir = join(tmp.dir, 'stages', stage.name);
    let workdir = '/';
    const onDisk = (p: string): string => join(dir, posix.resolve(workdir, p));
    const env = { ...buildEnv, ...stageEnv(stage) };
    for (const { op, args } of stage.instructions) {
      if (op === 'WORKDIR') {
        workdir = posix.resolve(workdir, args);
        mkdirSync(onDisk('.'), { recursive: true });
      } else if (op === 'COPY') {
        const { from, sources, dest } = copyParts(args);
        for (const src of sources) {
          let origin: string;
          if (from !== undefined) {
            const other = done.get(from);
            if (!other) throw new Error(`COPY --from=${from}: no such earlier stage`);
            origin = join(other.dir, posix.resolve(other.workdir, src));
          } else {
            expect(dockerIgnored(ignore, posix.normalize(src))).toBe(false); // .dockerignore must not hide what is copied
            origin = join(ROOT, src);
          }
          const target = onDisk(dest.endsWith('/') ? posix.join(dest, posix.basename(src)) : dest);
          cpSync(origin, target, { recursive: true });
        }
      } else if (op === 'RUN' && stage !== runtime) {
        const [cmd, ...argv] = execForm(args);
        const r = spawnSync(cmd, argv, { cwd: onDisk('.'), env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
        if (r.status !== 0) throw new Error(`stage ${stage.name}: RUN ${args} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
      }
    }
    done.set(stage.name, { dir, workdir });
  }
  return done;
}

beforeAll(() => {
  tmp = tempDir('ew-docker-');
});

afterAll(() => tmp.cleanup());

test('the runtime stage is slim, non-root, with tini, a /data volume, the three ports and a healthcheck', () => {
  expect(runtime.from).toBe('node:20-bookworm-slim');
  expect(ops(runtime, 'USER')).toEqual(['1000:1000']);
  expect(ops(runtime, 'RUN').join(' ')).toMatch(/apt-get install[^&]*\btini\b/);
  expect(ops(runtime, 'RUN').join(' ')).toMatch(/chown 1000:1000 \/data/);
  expect(ops(runtime, 'VOLUME')).toEqual(['["/data"]']);
  expect(ops(runtime, 'EXPOSE').join(' ').split(' ').sort()).toEqual(['4317', '4318', '9464']);
  expect(stageEnv(runtime).EDGEWATCH_STORE).toBe('sqlite:/data/edgewatch.db');
  expect(execForm(ops(runtime, 'ENTRYPOINT')[0])).toEqual(['/usr/bin/tini', '--', 'node', ...serviceNodeFlags(), 'bin/edgewatch.js', 'serve']);
  expect(ops(runtime, 'HEALTHCHECK')[0]).toContain('/healthz');
  // Only production dependencies reach the runtime stage.
  expect(ops(runtime, 'COPY').filter((c) => c.includes('node_modules'))).toEqual(['--from=prod-deps /app/node_modules ./node_modules']);
  expect(ops(stages.find((s) => s.name === 'prod-deps') as Stage, 'RUN')).toEqual([expect.stringContaining('npm ci --omit=dev')]);
});

// Slow (~20 s): two npm ci and a tsc build.
test('the stages build outside a container and the entrypoint serves /healthz', async () => {
  const prebuilds = join(tmp.dir, 'prebuilds');
  mkdirSync(prebuilds, { recursive: true });
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('EDGEWATCH_')));
  const buildEnv = { ...(inherited as Record<string, string>), npm_config_prefer_offline: 'true', ...localPrebuildEnv(prebuilds) };
  const built = replay(buildEnv);
  const app = built.get(runtime.name);
  if (!app) throw new Error('no runtime stage');
  const appDir = join(app.dir, app.workdir);

  // Production dependencies only, the native module and the OTLP exporter among them.
  const modules = join(appDir, 'node_modules');
  expect(existsSync(join(modules, 'better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
  expect(existsSync(join(modules, '@opentelemetry/exporter-metrics-otlp-grpc'))).toBe(true);
  for (const dev of ['typescript', 'jest', 'ts-jest', 'eslint', 'fast-check']) expect(existsSync(join(modules, dev))).toBe(false);

  // ENTRYPOINT with the stage's ENV; /data mapped to a temp dir; tini only where installed.
  let entry = execForm(ops(runtime, 'ENTRYPOINT')[0]);
  if (entry[0].endsWith('/tini') && !existsSync(entry[0])) entry = entry.slice(entry.indexOf('--') + 1);
  expect(entry[0]).toBe('node');
  const dataDir = join(tmp.dir, 'data');
  mkdirSync(dataDir);
  const env = stageEnv(runtime);
  env.EDGEWATCH_STORE = env.EDGEWATCH_STORE.replace('/data/', `${dataDir}/`);
  const ew = await startChild({ argv: entry.slice(1), cwd: appDir, env, readyPath: '/healthz', startTimeoutMs: 20_000 });
  try {
    expect(await httpStatus(ew.ports.admin, '/healthz')).toBe(200);
    expect(await httpStatus(ew.ports.admin, '/readyz')).toBe(200);
    expect(existsSync(join(dataDir, 'edgewatch.db'))).toBe(true);
    // The HEALTHCHECK command itself, pointed at this admin port like the image's ENV would.
    const check = execForm(ops(runtime, 'HEALTHCHECK')[0].replace(/^(--\S+\s+)*CMD\s+/, ''));
    expect(check[0]).toBe('node');
    const healthEnv = { ...process.env, EDGEWATCH_ADMIN_ADDR: `127.0.0.1:${ew.ports.admin}` };
    expect(spawnSync(process.execPath, check.slice(1), { env: healthEnv, timeout: 10_000 }).status).toBe(0);
    const nobody = { ...process.env, EDGEWATCH_ADMIN_ADDR: `127.0.0.1:${await freePort()}` };
    expect(spawnSync(process.execPath, check.slice(1), { env: nobody, timeout: 10_000 }).status).toBe(1);
  } finally {
    expect((await ew.stop()).code).toBe(0);
  }
}, 180_000);
