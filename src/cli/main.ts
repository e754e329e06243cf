import { Command, CommanderError } from 'commander';
import { EdgewatchError } from '../core/errors';
import { version } from '../version';
import { addAlertsCommand } from './alerts';
import { addEdgesCommand } from './edges';
import { addRulesCommand } from './rules';
import { addReplayCommand } from './replay';
import { addConfigFlags, serve } from './serve';

export function buildProgram(): Command {
  const program = new Command('edgewatch')
    .description('Alerts the moment two Kubernetes workloads talk for the first time in 30 days (OTLP in, webhooks out).')
    .version(version);
  addConfigFlags(program.command('serve').description('run the service (OTLP gRPC :4317, OTLP HTTP :4318, admin :9464)')).action(
    (opts: Record<string, unknown>) => serve(opts),
  );
  addReplayCommand(program);
  addEdgesCommand(program);
  addAlertsCommand(program);
  addRulesCommand(program);
  return program;
}

/** Entry point of bin/edgewatch.js. Config errors exit 2 with the message that names the field. */
export async function main(argv: string[]): Promise<void> {
  const program = buildProgram().exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exit(err.exitCode);
    }
    if (err instanceof EdgewatchError) {
      process.stderr.write(`edgewatch: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
