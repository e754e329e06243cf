import type { Command } from 'commander';
import { alertJson, ruleJson, triageJson, type AlertJson } from '../admin/alerts-api';
import { expectInput, parseAlertQuery, triageInput } from '../admin/triage-input';
import { effectiveState } from '../core/triage';
import type { TriageOutcome } from '../admin/triage';
import type { CliIo } from './replay';
import { addStoreFlags } from './store-cli';
import { table } from './table';
import { cliUser, flagFields, withTriage, type TriageCli } from './triage-cli';

/** `edgewatch alerts list|ack|expect`, against the store like `serve` (same --config/--store). */
export function addAlertsCommand(program: Command, io: CliIo = { stdout: process.stdout, stderr: process.stderr }): void {
  const alerts = program.command('alerts').description('the alert lifecycle: list alerts with their state, acknowledge one, mark one expected');
  addStoreFlags(alerts.command('list').description('recent alerts, newest first, with their state'))
    .option('--state <states>', 'only these states: open, acknowledged, expected (comma-separated)')
    .option('--kind <kind>', 'only this context kind: new_path, new_workload, new_protocol')
    .option('--cluster <name>', 'only this cluster')
    .option('--since <time>', 'created since: ISO time, epoch ms or a duration back from now (1h)')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'JSON (as GET /api/v1/alerts answers) instead of a table')
    .action((opts: Record<string, unknown>) => withTriage(opts, io, (t) => list(t, opts, io)));
  const change = (name: 'ack' | 'expect', description: string): Command =>
    addStoreFlags(alerts.command(`${name} <id>`).description(description))
      .option('--comment <text>', 'why (kept with the state)')
      .option('--expires <date>', 'the state lapses (and the alert is open again) at this date or date-time, e.g. 2026-12-31')
      .option('--user <name>', 'who makes the change (default: your login name)')
      .option('--json', 'JSON (as the API answers) instead of a line of text');
  change('ack', 'acknowledge an alert: someone is on it').action((id: string, opts: Record<string, unknown>) =>
    withTriage(opts, io, async (t) => report(await t.triage.ack(id, cliUser(opts), triageInput(flagFields(opts, ['comment', 'expires']), Date.now())), id, opts, io)),
  );
  change('expect', 'mark an alert expected, and store an allow rule for its edge (or its source workload) that every replica applies')
    .option('--scope <edge|source>', 'edge: the rule matches that edge; source: everything the source workload starts', 'edge')
    .action((id: string, opts: Record<string, unknown>) =>
      withTriage(opts, io, async (t) => {
        const input = expectInput(flagFields(opts, ['comment', 'expires', 'scope']), Date.now());
        report(await t.triage.expect(id, cliUser(opts), input), id, opts, io);
      }),
    );
}

async function list({ store }: TriageCli, opts: Record<string, unknown>, io: CliIo): Promise<void> {
  const params = new URLSearchParams();
  for (const [flag, v] of Object.entries(flagFields(opts, ['state', 'kind', 'cluster', 'since', 'limit']))) params.set(flag, String(v));
  const now = Date.now();
  const { limit, query } = parseAlertQuery(params, now);
  const alerts = (await store.listAlerts(limit, query)).map((a) => alertJson(a, now));
  if (opts.json === true) return void io.stdout.write(`${JSON.stringify({ alerts }, null, 2)}\n`);
  io.stdout.write(table(['ID', 'CREATED', 'STATE', 'BY', 'KIND', 'CLUSTER', 'PROTO', 'SOURCE', 'DEST'], alerts.map(row)));
}

function row(a: AlertJson): string[] {
  const kind = (a as { context?: { kind?: string } }).context?.kind ?? '-';
  const by = a.state === 'open' ? '-' : (a.triage?.by ?? '-');
  return [a.id, a.created_at, a.state, by, kind, a.cluster, a.protocol ?? '*', a.source.workload, a.dest.workload];
}

function report(done: TriageOutcome | null, id: string, opts: Record<string, unknown>, io: CliIo): void {
  if (done === null) {
    io.stderr.write(`no alert ${id}\n`);
    process.exitCode = 1;
    return;
  }
  const now = Date.now();
  if (opts.json === true) {
    const body = { alert: alertJson(done.alert, now), before: triageJson(done.before), rule: done.rule && ruleJson(done.rule, now) };
    return void io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  }
  const t = done.alert.triage;
  io.stdout.write(`alert ${id}: ${effectiveState(done.before, now)} → ${effectiveState(t, now)} by ${t?.by ?? '?'}\n`);
  if (done.rule) io.stdout.write(`stored rule ${done.rule.id}: ${JSON.stringify(ruleJson(done.rule, now).match)} (every replica applies it within a second)\n`);
}
