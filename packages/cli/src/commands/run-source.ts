import type { Logger } from 'pino';
import { SedaError, type Source } from '@seda/core';
import { resolveBrokers } from '@seda/kafka';
import { announceInstance, runSource, type ResolvedConfig, type SourceResult } from '@seda/runtime';

/**
 * `seda run <source>`: produces until the source ends (or SIGTERM/SIGINT),
 * then exits 0 only once the broker acknowledged every record; prints what
 * was produced on stdout.
 */
export async function runSourceCommand(
  source: Source,
  config: ResolvedConfig,
  options: { [name: string]: unknown },
  log: Logger,
  instance: { metrics?: { host: string; port: number }; instanceIndex?: number },
  onRunning: (running: { stop(): Promise<unknown> }) => void,
): Promise<void> {
  // Keys that only mean something to a stage, given explicitly (not defaults).
  const stageOnly = ['instances', 'mode', 'group', 'input', 'stateDir', 'fromBeginning', 'changelog', 'standby'].filter((k) => {
    const where = config.sources[k];
    return where !== undefined && where.source !== 'default';
  });
  if (stageOnly.length > 0) {
    throw new SedaError(
      'SEDA_RUNTIME_OPTIONS',
      `"${source.name}" is a source (it produces, it reads no topic): ${stageOnly.map((k) => config.sources[k].origin).join(', ')} appl${stageOnly.length > 1 ? 'y' : 'ies'} to stages only`,
    );
  }
  const cfg = config.values;
  const brokers = resolveBrokers({ brokers: cfg.brokers });
  const running = await runSource(source, {
    brokers,
    kafka: { ...cfg.kafka },
    outputs: cfg.outputs ?? {},
    options,
    log,
  });
  const outputs = Object.fromEntries(Object.entries(source.outputs).map(([name, o]) => [name, cfg.outputs?.[name] ?? o.topic]));
  // Ended by itself or stopped: a clean end tombstones the announcement; a failure leaves it to go stale.
  const announced = await announceInstance({ kind: 'source', name: source.name, outputs }, { brokers, kafka: { ...cfg.kafka }, log, enabled: cfg.announce !== false, ...instance, until: running.done });
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
  onRunning({ stop: () => running.stop().then(async (r) => { await announced?.stop(); print(r); }) });
  const result = await running.done;
  await announced?.stop();
  print(result);
}
