import { Command, CommanderError } from 'commander';
import { registerBenchCommand } from './commands/bench.js';
import { registerBrokerCommand, registerChaosCommand } from './commands/broker.js';
import { registerConfigCommand } from './commands/config.js';
import { registerConsumeCommand } from './commands/consume.js';
import { registerDemoCommand } from './commands/demo.js';
import { registerDescribeCommand } from './commands/describe.js';
import { registerDlqCommand } from './commands/dlq.js';
import { registerLagCommand } from './commands/lag.js';
import { registerNewCommand } from './commands/new.js';
import { registerProduceCommand } from './commands/produce.js';
import { registerRunCommand } from './commands/run.js';
import { registerStateCommand } from './commands/state.js';
import { registerTopicsCommand } from './commands/topics.js';
import { registerUiCommand } from './commands/ui.js';
import { cliVersion } from './version.js';

/** Prints one `error: <message>` line on stderr (the stack only with --verbose). */
export function reportError(err: unknown, verbose: boolean): void {
  if (err instanceof CommanderError) return; // commander printed its own message
  const e = err instanceof Error ? err : new Error(String(err));
  const lines = e.message.split('\n');
  process.stderr.write(`error: ${lines[0]}\n`);
  // A configuration error lists every problem, one per line.
  if (Array.isArray((e as { problems?: unknown }).problems)) process.stderr.write(`${lines.slice(1).join('\n')}\n`);
  if (verbose) {
    process.stderr.write(`${e.stack ?? ''}\n`);
    if (e.cause) process.stderr.write(`cause: ${(e.cause as Error).stack ?? String(e.cause)}\n`);
  }
}

/** The `seda` command line. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('seda')
    .description('staged event-driven pipelines on Kafka: run, test and measure stages')
    .version(cliVersion)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride((err) => {
      throw err;
    })
    .configureOutput({ outputError: (str, write) => write(str.startsWith('error: ') ? str : `error: ${str}`) });
  registerBrokerCommand(program);
  registerChaosCommand(program);
  registerTopicsCommand(program);
  registerProduceCommand(program);
  registerConsumeCommand(program);
  registerLagCommand(program);
  registerDlqCommand(program);
  registerUiCommand(program);
  registerRunCommand(program);
  registerConfigCommand(program);
  registerDescribeCommand(program);
  registerNewCommand(program);
  registerDemoCommand(program);
  registerStateCommand(program);
  registerBenchCommand(program);
  return program;
}
