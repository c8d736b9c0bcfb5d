import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { deliveryModes, isSource, resolveOptions, SedaError, type DeliveryMode, type OptionsSchema } from '@seda/core';
import { parseKafkaProperties, resolveBrokers } from '@seda/kafka';
import { loadPlugin, runStage, type RunOptions } from '@seda/runtime';
import { openStateStore } from '@seda/state';
import { createLogger, logLevels } from '../logger.js';
import { collidingOptions, pluginOptionValues } from '../plugin-options.js';
import { runSourceCommand } from './run-source.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Options `seda run` takes; a --config JSON file may hold the same keys. */
interface RunFlags {
  brokers?: string;
  group?: string;
  mode?: DeliveryMode;
  fromBeginning?: boolean;
  input?: string;
  output?: string[];
  instances?: string;
  kafka?: string[];
  config?: string;
  logLevel?: string;
  stateDir?: string;
  commitInterval?: string;
  batchSize?: string;
  maxRestarts?: string;
  instanceIndex?: string;
  verbose?: boolean;
  /** `--set name=value` pairs for the stage's (or source's) options. */
  set?: string[];
  /** In a --config file only: values of the stage's (or source's) options. */
  options?: { [name: string]: unknown };
}

function positiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new SedaError('SEDA_RUNTIME_OPTIONS', `${flag} must be a whole number >= 1 (got "${value}")`);
  return n;
}

function parseOutputs(pairs: string[] | undefined): { [name: string]: string } {
  const outputs: { [name: string]: string } = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) {
      throw new SedaError('SEDA_RUNTIME_OPTIONS', `--output "${pair}" is not <name>=<topic>, e.g. --output bills=bills-v2`);
    }
    outputs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return outputs;
}

/** Flags override SEDA_* environment variables, which override the --config file. */
function mergeConfig(flags: RunFlags): RunFlags {
  let file: RunFlags = {};
  if (flags.config !== undefined) {
    try {
      file = JSON.parse(readFileSync(flags.config, 'utf8')) as RunFlags;
    } catch (err) {
      throw new SedaError('SEDA_RUNTIME_OPTIONS', `cannot read --config ${flags.config}: ${(err as Error).message}`, { cause: err });
    }
  }
  const env = process.env;
  const fromEnv: RunFlags = {
    group: env.SEDA_GROUP,
    mode: env.SEDA_MODE as DeliveryMode | undefined,
    stateDir: env.SEDA_STATE_DIR,
    logLevel: env.SEDA_LOG_LEVEL,
  };
  const merged: RunFlags = { ...file };
  for (const layer of [fromEnv, flags]) {
    for (const [k, v] of Object.entries(layer)) if (v !== undefined) (merged as { [k: string]: unknown })[k] = v;
  }
  return merged;
}

/** `seda run <stage>`: runs one stage (or N worker processes of it) until SIGTERM/SIGINT. */
export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'run a stage (or a source): a stage of stages/, a path to a module (./my-stage.js), or an installed package whose default export is a stage. ' +
        'The stage\'s own options follow it: --<option> <value> or --set <option>=<value> (see seda describe <stage>)',
    )
    .argument('<stage>', 'stage name, path or package')
    // Options the stage or source declares are not known until it is loaded: they are parsed then.
    .allowUnknownOption()
    .allowExcessArguments()
    .option('--brokers <list>', 'Kafka bootstrap servers (default: SEDA_BROKERS, then .seda/broker.json)')
    .option('--group <id>', 'consumer group (default: the stage name)')
    .addOption(new Option('--mode <mode>', 'delivery mode (default: state for stateful stages, else at-least-once)').choices([...deliveryModes]))
    .option('--from-beginning', 'start partitions with no committed/stored offset at the beginning')
    .option('--input <topic>', 'read this topic instead of the stage\'s input topic')
    .option('--output <name=topic>', 'send an output to another topic (repeatable)', collect)
    .option('--instances <n>', 'run N worker processes in one group (parallel workers); each is restarted if it dies')
    .option('--state-dir <dir>', 'state directory (default .seda/state/<group>)')
    .option('--kafka <key=value>', 'librdkafka property for consumer and producer (repeatable)', collect)
    .option('--config <file>', 'JSON file with any of these options (flags > SEDA_* env > file)')
    .option('--commit-interval <ms>', 'commit at least this often (default 1000)')
    .option('--batch-size <n>', 'max records per consumed batch (default 1000)')
    .option('--max-restarts <n>', 'with --instances: restarts allowed per worker (default 5)')
    .option('--set <option=value>', 'set an option the stage or source declares (repeatable; also SEDA_OPT_<OPTION>)', collect)
    .addOption(new Option('--log-level <level>', 'log level').choices([...logLevels]))
    .addOption(new Option('--instance-index <i>').hideHelp())
    .option('--verbose', 'print stack traces of errors')
    .action(async (spec: string, rawFlags: RunFlags, cmd: Command) => {
      const flags = mergeConfig(rawFlags);
      const instances = positiveInt(flags.instances, '--instances', 1);
      if (instances > 1) {
        process.exitCode = await superviseInstances(instances, positiveInt(flags.maxRestarts, '--max-restarts', 5), flags.logLevel);
        return;
      }
      const ownFlags = cmd.options.map((o) => o.long).filter((f): f is string => f !== undefined);
      await runOne(spec, flags, cmd.args.slice(1), ownFlags);
    });
}

/** The option values given to a plugin, from flags, --set, SEDA_OPT_* and the --config file. */
function optionValues(name: string, schema: OptionsSchema, flags: RunFlags, args: string[], ownFlags: string[]): { [name: string]: unknown } {
  const colliding = collidingOptions(schema, ownFlags);
  if (colliding.length > 0) {
    throw new SedaError('SEDA_OPTIONS_INVALID', `"${name}" declares options named like seda run's own flags (${colliding.join(', ')}); rename them in the stage`);
  }
  return pluginOptionValues(name, schema, { file: flags.options, env: process.env, sets: flags.set, args });
}

async function runOne(spec: string, flags: RunFlags, pluginArgs: string[], ownFlags: string[]): Promise<void> {
  const log = createLogger(flags.logLevel ?? 'info');
  // Signals are handled from the start: one arriving while loading or connecting
  // stops the stage as soon as it runs (never the default abrupt exit).
  let running: { stop(): Promise<unknown> } | undefined;
  let signals = 0;
  const stop = (): void => {
    running!.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(130);
    }
    log.info({ signal }, 'stopping: draining, delivering and committing');
    if (running) stop();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const supervisor = Number(process.env.SEDA_SUPERVISOR_PID);
  if (supervisor > 0) {
    // A worker whose supervisor is gone (even by SIGKILL) stops gracefully rather than linger.
    const watch = setInterval(() => {
      if (process.ppid === supervisor) return;
      clearInterval(watch); // once: a second "signal" would mean exit at once
      onSignal('SIGTERM');
    }, 1000).unref();
  }

  const plugin = await loadPlugin(spec);
  if (isSource(plugin)) {
    const values = optionValues(plugin.name, plugin.options, flags, pluginArgs, ownFlags);
    await runSourceCommand(plugin, flags, values, log, (source) => {
      running = source;
      if (signals > 0) stop();
    });
    return;
  }
  const stage = plugin;
  // Checked here, before the state store is opened or anything connects.
  const stageOptions = resolveOptions(stage.options, optionValues(stage.name, stage.options, flags, pluginArgs, ownFlags), stage.name);
  const brokers = resolveBrokers({ brokers: flags.brokers });
  const group = flags.group ?? stage.name;
  const mode = flags.mode ?? stage.mode;
  const kafka = parseKafkaProperties(flags.kafka ?? []);
  const options: RunOptions = {
    brokers,
    group,
    mode,
    kafka,
    fromBeginning: flags.fromBeginning === true,
    input: flags.input,
    outputs: parseOutputs(flags.output),
    commitIntervalMs: flags.commitInterval === undefined ? undefined : positiveInt(flags.commitInterval, '--commit-interval', 1000),
    batchSize: flags.batchSize === undefined ? undefined : positiveInt(flags.batchSize, '--batch-size', 1000),
    log,
    options: stageOptions,
  };
  if (mode === 'state' || mode === 'exactly-once') {
    let dir = resolve(flags.stateDir ?? join('.seda', 'state', group));
    if (flags.instanceIndex !== undefined) dir = join(dir, `instance-${flags.instanceIndex}`);
    options.state = await openStateStore({ dir, codec: stage.state?.codec, log });
    log.info({ dir }, 'state store opened');
  }
  let stageRun;
  try {
    stageRun = await runStage(stage, options);
  } catch (err) {
    await options.state?.close().catch(() => {});
    throw err;
  }
  running = stageRun;
  if (signals > 0) stop();
  await stageRun.done;
}

/** Forks N `seda run` workers with the same arguments and keeps them running. */
async function superviseInstances(instances: number, maxRestarts: number, logLevel: string | undefined): Promise<number> {
  const log = createLogger(logLevel ?? 'info').child({ supervisor: true });
  const bin = fileURLToPath(new URL('../bin.js', import.meta.url));
  const args: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--instances' || argv[i] === '--max-restarts') i++;
    else if (!argv[i].startsWith('--instances=') && !argv[i].startsWith('--max-restarts=')) args.push(argv[i]);
  }
  const children = new Map<number, ChildProcess>();
  const restarts = new Array<number>(instances).fill(0);
  let stopping = false;
  let exitCode = 0;
  let resolveAll!: () => void;
  const allExited = new Promise<void>((r) => (resolveAll = r));

  const start = (index: number): void => {
    const child = spawn(process.execPath, [bin, ...args, '--instance-index', String(index)], {
      stdio: 'inherit',
      // Own process group: a terminal's Ctrl-C reaches the supervisor only, which
      // stops the workers once; workers stop by themselves if the supervisor dies.
      detached: true,
      env: { ...process.env, SEDA_INSTANCE: String(index), SEDA_SUPERVISOR_PID: String(process.pid) },
    });
    children.set(index, child);
    log.info({ instance: index, pid: child.pid }, 'worker started');
    child.on('exit', (code, signal) => {
      children.delete(index);
      if (stopping) {
        if (code !== 0) exitCode = 1;
        if (children.size === 0) resolveAll();
        return;
      }
      if (restarts[index] >= maxRestarts) {
        log.error({ instance: index, code, signal }, `worker died ${restarts[index] + 1} times; giving up and stopping the others`);
        exitCode = 1;
        stopAll('SIGTERM');
        return;
      }
      restarts[index]++;
      log.warn({ instance: index, code, signal, restart: restarts[index] }, 'worker died; restarting it');
      setTimeout(() => {
        if (!stopping) start(index);
      }, Math.min(5000, 250 * 2 ** (restarts[index] - 1))).unref();
    });
  };

  const stopAll = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    if (children.size === 0) resolveAll();
    for (const child of children.values()) child.kill(signal);
    setTimeout(() => {
      for (const child of children.values()) child.kill('SIGKILL');
    }, 60_000).unref();
  };

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      for (const child of children.values()) child.kill('SIGKILL');
      process.exit(130);
    }
    log.info({ signal }, 'stopping workers');
    stopAll('SIGTERM');
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const parent = Number(process.env.SEDA_SUPERVISOR_PID);
  if (parent > 0) {
    // Started by a supervisor itself (e.g. \`seda demo\`): if that one is gone (even by SIGKILL), stop the workers.
    const watch = setInterval(() => {
      if (process.ppid === parent) return;
      clearInterval(watch);
      onSignal('SIGTERM');
    }, 1000).unref();
  }
  for (let i = 0; i < instances; i++) start(i);
  await allExited;
  return exitCode;
}
