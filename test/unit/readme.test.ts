import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPTIONS } from '../../src/config/options';

const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');

describe('README stays true', () => {
  test('the two commands come first', () => {
    const firstBlock = readme.slice(readme.indexOf('```sh'), readme.indexOf('```', readme.indexOf('```sh') + 5));
    expect(firstBlock).toContain('npm ci && npm start');
    expect(firstBlock).toContain('npm test');
  });
  test.each(OPTIONS.map((o) => [o.env, o]))('configuration table documents %s with its flag, key and default', (_env, o) => {
    const row = readme.split('\n').find((l) => l.startsWith(`| \`${o.env}\` |`));
    expect(row).toBeDefined();
    expect(row).toContain(`\`${o.flag}\``);
    expect(row).toContain(`\`${o.key}\``);
    if (o.default) expect(row).toContain(`\`${o.default}\``);
  });
});
