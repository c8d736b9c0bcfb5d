import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { describeTopic, resolveBrokers } from '@seda/kafka';
import { isSource, SedaError, type OptionsSchema } from '@seda/core';
import {
  announceInstance,
  AnnouncedOwners,
  TopicReader,
  type Announcement,
  createMetricsRegistry,
  createStageMetrics,
  loadPlugin,
  redactConfig,
  resolveRunConfig,
  runConfigFields,
  runStage,
  secretValues,
  serveOps,
  createStateQuery,
  type StateQuery,
  StageHealth,
  type ResolvedConfig,
  type RunOptions,
} from '@seda/runtime';
import { createLogger } from '../logger.js';
import { collidingOptions, pluginOptionValues } from '../plugin-options.js';
import { runSourceCommand } from './run-source.js';
import { onStopSignals } from '../stop-signals.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Default `statistics.interval.ms` when metrics are on: lag, producer queue and broker state for /readyz. */
const defaultStatisticsIntervalMs = 5000;

/**
 * Adds every option of a stage instance (from the configuration schema, so
 * `seda run` and `seda config --print` take the same ones). Values are not
 * checked by commander: {@link resolveRunConfig} checks them all at once.
 */
export function addRunOptions(cmd: Command): Command {
  for (const field of runConfigFields) {
    const def = field.defaultValue !== undefined ? String(field.defaultValue) : field.defaultText;
    const help = `${field.description} [env ${field.env === 'SEDA_KAFKA_' ? 'SEDA_KAFKA_<PROPERTY>' : field.env}${def ? `; default ${def}` : ''}]`;
    const option = new Option(field.flag, help);
    if (field.kind === 'map') option.argParser(collect);
    cmd.addOption(option);
  }
  return cmd
    .option('--config <file>', 'JSON file with any of these keys (flags > SEDA_* env > file > defaults) [env SEDA_CONFIG]; its "options" object holds the stage\'s own options')
    .option('--set <option=value>', 'set an option the stage or source declares (repeatable; also SEDA_OPT_<OPTION>)', collect)
    .addOption(new Option('--instance-index <i>').hideHelp())
    .option('--verbose', 'print stack traces of errors');
}

/** The flags commander parsed for `seda run` / `seda config`. */
export type RunFlags = { config?: string; instanceIndex?: string; verbose?: boolean; set?: string[] } & { [key: string]: unknown };

/** What `seda run` gives a stage or source for its own declared options. */
interface PluginArgs {
  /** Arguments after the stage that seda run does not know itself (`--peak-price 0.3`). */
  args: string[];
  /** seda run's own long flags (a plugin option may not reuse one). */
  ownFlags: string[];
  sets?: string[];
}

/** The option values given to a plugin, from its flags, --set, SEDA_OPT_* and the --config file's "options". */
function optionValues(name: string, schema: OptionsSchema, config: ResolvedConfig, plugin: PluginArgs): { [name: string]: unknown } {
  const colliding = collidingOptions(schema, plugin.ownFlags);
  if (colliding.length > 0) {
    throw new SedaError('SEDA_OPTIONS_INVALID', `"${name}" declares options named like seda run's own flags (${colliding.join(', ')}); rename them in the stage`);
  }
  return pluginOptionValues(name, schema, { file: config.pluginOptions, env: process.env, sets: plugin.sets, args: plugin.args });
}

/** Resolves the configuration of `seda run` from its flags, the environment and the --config file; throws one error listing every problem. */
export function runConfig(flags: RunFlags, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const file = flags.config ?? (env.SEDA_CONFIG?.trim() ? env.SEDA_CONFIG : undefined);
  return resolveRunConfig({ flags, env, file });
}

/** `seda run <stage>`: runs one stage (or N worker processes of it) until SIGTERM/SIGINT. */
export function registerRunCommand(program: Command): void {
  const cmd = program
    .command('run')
    .description(
      'run a stage (or a source): a ready-made stage by name (billing: the package @seda/stage-billing), a path to a module (./my-stage.js), or an installed package whose default export is a stage. ' +
        'The stage\'s own options follow it: --<option> <value> or --set <option>=<value> (see seda describe <stage>)',
    )
    .argument('<stage>', 'stage name, path or package')
    // Options the stage or source declares are not known until it is loaded: they are parsed then.
    .allowUnknownOption()
    .allowExcessArguments();
  addRunOptions(cmd).action(async (spec: string, flags: RunFlags, command: Command) => {
    const config = runConfig(flags);
    const isWorker = flags.instanceIndex !== undefined;
    const instances = isWorker ? 1 : (config.values.instances ?? 1);
    if (instances > 1) {
      process.exitCode = await superviseInstances(instances, config.values.maxRestarts ?? 5, createLogger(config.values.logLevel, { secrets: secretValues(config.values) }));
      return;
    }
    const ownFlags = command.options.map((o) => o.long).filter((f): f is string => f !== undefined);
    await runOne(spec, config, isWorker ? Number(flags.instanceIndex) : undefined, { args: command.args.slice(1), ownFlags, sets: flags.set });
  });
}

async function runOne(spec: string, config: ResolvedConfig, instanceIndex: number | undefined, pluginArgs: PluginArgs): Promise<void> {
  const cfg = config.values;
  const log = createLogger(cfg.logLevel ?? 'info', { secrets: secretValues(cfg) });
  log.info({ config: redactConfig(cfg), ...(instanceIndex === undefined ? {} : { worker: instanceIndex }) }, 'configuration');
  // Signals are handled from the start: one arriving while loading or connecting
  // stops the stage as soon as it runs (never the default abrupt exit).
  let running: { stop(): Promise<unknown> } | undefined;
  let health: StageHealth | undefined;
  const stop = (): void => {
    running!.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  const signals = onStopSignals({
    stop: (signal) => {
      log.info({ signal }, 'stopping: draining, delivering and committing');
      health?.setStopping();
      if (running) stop();
    },
    exitNow: (signal) => {
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(130);
    },
  });

  const kafka = { ...cfg.kafka };
  let registry: ReturnType<typeof createMetricsRegistry> | undefined;
  /** `/state` on the metrics port: set once a stateful stage runs. */
  let stateQuery: StateQuery | undefined;
  let metrics: { host: string; port: number } | undefined;
  if (cfg.metricsPort !== undefined) {
    // Served before connecting: /healthz answers and /readyz says "starting" during connect retries.
    registry = createMetricsRegistry();
    health = new StageHealth({ log });
    const port = cfg.metricsPort === 0 ? 0 : cfg.metricsPort + (instanceIndex ?? 0);
    const ops = await serveOps({ port, host: cfg.metricsHost, registry, health, log, state: () => stateQuery });
    metrics = { host: cfg.metricsHost ?? '0.0.0.0', port: ops.port }; // announced (seda ui scrapes it)
    kafka['statistics.interval.ms'] ??= defaultStatisticsIntervalMs;
  }

  const plugin = await loadPlugin(spec);
  if (isSource(plugin)) {
    const values = optionValues(plugin.name, plugin.options, config, pluginArgs);
    await runSourceCommand(plugin, config, values, log, { metrics, instanceIndex }, (source) => {
      running = source;
      if (signals() > 0) stop();
    });
    return;
  }
  const stage = plugin;
  const brokers = resolveBrokers({ brokers: cfg.brokers });
  const options: RunOptions = {
    brokers,
    group: cfg.group,
    mode: cfg.mode,
    kafka,
    fromBeginning: cfg.fromBeginning === true,
    input: cfg.input,
    outputs: cfg.outputs,
    tables: cfg.tables,
    dlqTopic: cfg.dlqTopic,
    stateDir: cfg.stateDir,
    changelog: cfg.changelog !== false,
    standby: cfg.standby === true,
    commitIntervalMs: cfg.commitIntervalMs,
    batchSize: cfg.batchSize,
    concurrency: cfg.concurrency,
    revokeTimeoutMs: cfg.revokeTimeoutMs,
    shutdownTimeoutMs: cfg.shutdownTimeoutMs,
    tableIdleMs: cfg.tableIdleMs,
    connect: { attempts: cfg.connectAttempts, backoffMs: cfg.connectBackoffMs, timeoutMs: cfg.connectTimeoutMs },
    log,
    options: optionValues(stage.name, stage.options, config, pluginArgs),
  };
  // The runtime checks everything before it opens state or connects, then opens the store, changelog and standby.
  const stageRun = await runStage(stage, options);
  running = stageRun;
  let announced: Announcement | undefined;
  let owners: AnnouncedOwners | undefined;
  // Owned input partitions in the announcement, re-announced when a rebalance step took effect.
  const ownedInput = (): number[] => stageRun.assignment().filter((p) => p.topic === stageRun.topics.input).map((p) => p.partition);
  stageRun.on('assignment', () => announced?.setPartitions(ownedInput()));
  if (registry !== undefined) {
    health!.attach(stageRun);
    createStageMetrics(stageRun, { registry, processMetrics: false, labels: instanceIndex === undefined ? {} : { worker: String(instanceIndex) } });
    if (stageRun.state !== undefined) {
      const input = stageRun.topics.input;
      // The 404 of a key owned elsewhere names the owner from its announcement (own reader, read on demand).
      const found = new AnnouncedOwners({ reader: new TopicReader(brokers, kafka), group: stageRun.group, stage: stage.name, self: () => announced?.descriptor.instance, log });
      owners = found;
      stateQuery = createStateQuery({
        store: stageRun.state.store, input, group: stageRun.group, partitionCount: (await describeTopic(brokers, input, kafka)).length,
        owned: () => stageRun.assignment().map((p) => p.partition), owner: (p) => found.ownerOf(p),
      });
    }
  }
  // After the metrics listen: announcing takes a round trip, and batches done meanwhile must be counted.
  const { group, mode } = stageRun;
  announced = await announceInstance({ kind: 'stage', name: stage.name, group, input: stageRun.topics.input, outputs: stageRun.topics.outputs, dlq: stageRun.topics.dlq, mode },
    { brokers, kafka, log, enabled: cfg.announce !== false, metrics, instanceIndex, until: stageRun.done });
  announced?.setPartitions(ownedInput());
  const closeOwners = async (): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([owners?.close().catch((err: unknown) => log.debug({ err }, 'closing the announcement reader failed')), new Promise<void>((r) => (timer = setTimeout(r, 5000)))]);
    clearTimeout(timer);
  };
  // A clean stop tombstones the announcement first.
  running = { stop: async () => { await announced?.stop(); await closeOwners(); await stageRun.stop(); } };
  if (signals() > 0) stop();
  try {
    await stageRun.done;
  } finally {
    await closeOwners();
  }
}

/** Forks N `seda run` workers with the same arguments and keeps them running. */
async function superviseInstances(instances: number, maxRestarts: number, logger: ReturnType<typeof createLogger>): Promise<number> {
  const log = logger.child({ supervisor: true });
  const bin = fileURLToPath(new URL('../bin.js', import.meta.url));
  const args: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--instances' || argv[i] === '--max-restarts') i++;
    else if (!argv[i].startsWith('--instances=') && !argv[i].startsWith('--max-restarts=')) args.push(argv[i]);
  }
  const children = new Map<number, ChildProcess>();
  const restarts = new Array<number>(instances).fill(0);
  /** Restarts waiting for their backoff. */
  const pending = new Set<NodeJS.Timeout>();
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
      // Not unref'd: with every worker dead at once, this timer is all that keeps the supervisor alive.
      const timer = setTimeout(() => {
        pending.delete(timer);
        if (!stopping) start(index);
      }, Math.min(5000, 250 * 2 ** (restarts[index] - 1)));
      pending.add(timer);
    });
  };

  const stopAll = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    for (const t of pending) clearTimeout(t);
    pending.clear();
    if (children.size === 0) resolveAll();
    for (const child of children.values()) child.kill(signal);
    setTimeout(() => {
      for (const child of children.values()) child.kill('SIGKILL');
    }, 60_000).unref();
  };

  // Started by a supervisor itself (e.g. `seda demo`): if that one is gone, the workers stop too.
  onStopSignals({
    stop: (signal) => {
      log.info({ signal }, 'stopping workers');
      stopAll('SIGTERM');
    },
    exitNow: () => {
      for (const child of children.values()) child.kill('SIGKILL');
      process.exit(130);
    },
  });
  for (let i = 0; i < instances; i++) start(i);
  await allExited;
  return exitCode;
}
