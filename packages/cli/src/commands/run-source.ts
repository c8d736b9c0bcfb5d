import type { Logger } from 'pino';
import { SedaError, type Source } from '@seda/core';
import { parseKafkaProperties, resolveBrokers } from '@seda/kafka';
import { runSource, type SourceResult } from '@seda/runtime';

/** The `seda run` flags a source uses. */
interface SourceFlags {
  brokers?: string;
  kafka?: string[];
  output?: string[];
  instances?: string;
  mode?: string;
  group?: string;
  input?: string;
  stateDir?: string;
  fromBeginning?: boolean;
}

function parseOutputs(pairs: string[] | undefined): { [name: string]: string } {
  const outputs: { [name: string]: string } = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) throw new SedaError('SEDA_RUNTIME_OPTIONS', `--output "${pair}" is not <name>=<topic>, e.g. --output readings=readings-v2`);
    outputs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return outputs;
}

/**
 * `seda run <source>`: produces until the source ends (or SIGTERM/SIGINT),
 * then exits 0 only once the broker acknowledged every record; prints what
 * was produced on stdout.
 */
export async function runSourceCommand(
  source: Source,
  flags: SourceFlags,
  options: { [name: string]: unknown },
  log: Logger,
  onRunning: (running: { stop(): Promise<unknown> }) => void,
): Promise<void> {
  const stageOnly = (
    [
      ['--instances', flags.instances],
      ['--mode', flags.mode],
      ['--group', flags.group],
      ['--input', flags.input],
      ['--state-dir', flags.stateDir],
      ['--from-beginning', flags.fromBeginning],
    ] as const
  ).filter(([, v]) => v !== undefined && v !== false);
  if (stageOnly.length > 0) {
    throw new SedaError(
      'SEDA_RUNTIME_OPTIONS',
      `"${source.name}" is a source (it produces, it reads no topic): ${stageOnly.map(([f]) => f).join(', ')} apply to stages only`,
    );
  }
  const running = await runSource(source, {
    brokers: resolveBrokers({ brokers: flags.brokers }),
    kafka: parseKafkaProperties(flags.kafka ?? []),
    outputs: parseOutputs(flags.output),
    options,
    log,
  });
  let printed = false;
  const print = (r: SourceResult): void => {
    if (printed) return;
    printed = true;
    const topics = Object.entries(r.byTopic)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ');
    process.stdout.write(
      `${source.name}: produced ${r.produced} records (${r.acknowledged} acknowledged) in ${(r.durationMs / 1000).toFixed(1)} s${r.stopped ? ', stopped by signal' : ''}: ${topics}\n`,
    );
  };
  onRunning({ stop: () => running.stop().then(print) });
  print(await running.done);
}
