/**
 * helm/edgewatch/values.yaml against the service's option table (src/config/options.ts), both
 * ways: `config:` holds every non-secret option and nothing the service does not load,
 * `secrets:` holds exactly the secret options, and the defaults are the service's own except
 * where the chart deliberately differs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, type Config } from '../../../src/config/config';
import { OPTIONS } from '../../../src/config/options';
import { at, CHART, chartValues, describeWithTool, helmBinary, helmTemplate, ofKind, type Doc } from '../../helpers/chart';

const values = chartValues();
const config = (values.config ?? {}) as Record<string, unknown>;
const secrets = (values.secrets ?? {}) as Record<string, unknown>;
const secretKeys = OPTIONS.filter((o) => o.type === 'secret').map((o) => o.key);
const plainKeys = OPTIONS.filter((o) => o.type !== 'secret').map((o) => o.key);

/** Where the chart's default is not the service's, and why. */
const DELIBERATE: Record<string, string> = {
  store: 'the SQLite file lives on the /data volume (the image sets the same)',
};

/** values.config as the ConfigMap renders it: null means "the built-in default" and is left out. */
function configFile(cfg: Record<string, unknown>): string {
  return stringify(Object.fromEntries(Object.entries(cfg).filter(([, v]) => v !== null)));
}

function loadFile(text: string): Readonly<Config> {
  const dir = mkdtempSync(join(tmpdir(), 'ew-values-'));
  try {
    writeFileSync(join(dir, 'edgewatch.yaml'), text);
    return loadConfig({ file: join(dir, 'edgewatch.yaml'), env: {} });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('every non-secret option of the service has a key in values.config', () => {
  expect(plainKeys.filter((k) => !(k in config))).toEqual([]);
});

test('secret options are in values.secrets, never in values.config', () => {
  expect(Object.keys(config).filter((k) => secretKeys.includes(k))).toEqual([]);
  expect(Object.keys(secrets).sort()).toEqual([...secretKeys].sort());
  // Empty by default: a chart must not ship a usable token.
  for (const k of secretKeys) expect(secrets[k]).toBe('');
});

test('values.config is a config file the service loads (no key it does not know, every value valid)', () => {
  expect(() => loadFile(configFile(config))).not.toThrow();
});

test('each config key the service does not know is refused by name (the check above is real)', () => {
  expect(() => loadFile(configFile({ ...config, not_an_option: 'x' }))).toThrow(/not_an_option/);
});

test("values.config defaults are the service's defaults, except the deliberate ones", () => {
  const fromValues = loadFile(configFile(config)) as unknown as Record<string, unknown>;
  const builtIn = loadConfig({ env: {} }) as unknown as Record<string, unknown>;
  const differ = OPTIONS.filter((o) => o.type !== 'secret' && JSON.stringify(fromValues[o.name]) !== JSON.stringify(builtIn[o.name])).map((o) => o.key);
  expect(differ.sort()).toEqual(Object.keys(DELIBERATE).sort());
});

test('the chart README documents every value: top-level keys, secrets and each config key', () => {
  const readme = readFileSync(join(CHART, 'README.md'), 'utf8');
  const documented = (key: string): boolean => readme.includes(`\`${key}\``) || readme.includes(`\`${key}.`);
  expect(Object.keys(values).filter((k) => !documented(k))).toEqual([]);
  expect(Object.keys(secrets).filter((k) => !documented(`secrets.${k}`))).toEqual([]);
  expect(Object.keys(config).filter((k) => !readme.includes(`\`${k}\``))).toEqual([]);
});

describeWithTool('helm', helmBinary(), 'rendered by helm template', (helm) => {
  const render = (sets: Record<string, string> = {}): Doc[] => helmTemplate(helm, sets);

  test('the ConfigMap holds the same file, and the service loads it', () => {
    const cm = ofKind(render(), 'ConfigMap');
    const text = ((at(cm, 'data') ?? {}) as Record<string, unknown>)['edgewatch.yaml'];
    expect(typeof text).toBe('string');
    expect(loadFile(text as string)).toEqual(loadFile(configFile(config)));
  });

  test('secrets become EDGEWATCH_* variables the service reads', () => {
    const sets = Object.fromEntries(secretKeys.map((k) => [`secrets.${k}`, `value-of-${k}`]));
    const secret = ofKind(render(sets), 'Secret');
    const data = (at(secret, 'stringData') ?? {}) as Record<string, string>;
    const env = Object.fromEntries(OPTIONS.filter((o) => o.type === 'secret').map((o) => [o.env, `value-of-${o.key}`]));
    expect(data).toEqual(env);
  });
});
