import type { Command } from 'commander';
import { ruleJson } from '../admin/alerts-api';
import type { CliIo } from './replay';
import { addStoreFlags } from './store-cli';
import { table } from './table';
import { cliUser, withTriage } from './triage-cli';

/** `edgewatch rules list|delete`: the allow rules kept in the store (rules_file stays a file). */
export function addRulesCommand(program: Command, io: CliIo = { stdout: process.stdout, stderr: process.stderr }): void {
  const rules = program.command('rules').description('the allow rules kept in the store (written by `alerts expect`): list, delete');
  addStoreFlags(rules.command('list').description('stored rules, oldest first, with what they match and where they came from'))
    .option('--json', 'JSON (as GET /api/v1/rules lists stored rules) instead of a table')
    .action((opts: Record<string, unknown>) =>
      withTriage(opts, io, async ({ triage }) => {
        const now = Date.now();
        const listed = (await triage.listRules()).map((r) => ruleJson(r, now));
        if (opts.json === true) return void io.stdout.write(`${JSON.stringify({ rules: listed }, null, 2)}\n`);
        const rows = listed.map((r) => [
          r.id,
          Object.entries(r.match)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' '),
          r.expires === null ? '-' : `${r.expires}${r.expired ? ' (expired)' : ''}`,
          r.origin.alert ?? '-',
          r.origin.by,
          r.origin.at,
          r.comment ?? '',
        ]);
        io.stdout.write(table(['ID', 'MATCH', 'EXPIRES', 'ALERT', 'BY', 'CREATED', 'COMMENT'], rows));
      }),
    );
  addStoreFlags(rules.command('delete <id>').description('delete a stored rule: every replica stops applying it within a second'))
    .option('--user <name>', 'who deletes it (default: your login name; logged)')
    .action((id: string, opts: Record<string, unknown>) =>
      withTriage(opts, io, async ({ triage }) => {
        if (await triage.deleteRule(id, cliUser(opts))) return void io.stdout.write(`deleted stored rule ${id}\n`);
        io.stderr.write(`no stored rule ${id}\n`);
        process.exitCode = 1;
      }),
    );
}
