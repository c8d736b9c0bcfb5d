import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { SedaError } from '@seda/core';

/** The package that holds the demo (loaded on use: the CLI runs stages without it). */
const demoPackage = '@seda/example-electric-readings';

/** What `seda demo` needs from {@link demoPackage}. */
export interface DemoModule {
  /** Checks the flags, runs the demo (each stage with `sedaBin run <stage>`), resolves with the exit code. */
  runDemoCli(flags: { [flag: string]: unknown }, sedaBin: string): Promise<number>;
}

/** The `seda` script of this install, which the demo's stages run with. */
const sedaBin = fileURLToPath(new URL('../bin.js', import.meta.url));

/**
 * Loads the demo package (`specifier`: {@link demoPackage}), or, when it is
 * not installed, fails with `SEDA_DEMO_UNAVAILABLE` saying what to install.
 * Any other failure to load it (a dependency of it missing, a bad build) is
 * passed on as it is.
 */
export async function loadDemo(specifier = demoPackage): Promise<DemoModule> {
  try {
    return (await import(specifier)) as DemoModule;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !(err as Error).message.includes(`'${specifier}'`)) throw err;
    throw new SedaError(
      'SEDA_DEMO_UNAVAILABLE',
      `seda demo needs the ${specifier} package, which is not installed: npm install ${specifier} (it brings the ready-made stages; in the seda repository: npm install && npm run build)`,
      { cause: err },
    );
  }
}

/** `seda demo`: the electric-readings pipeline, live, then checked against ground truth. */
export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run the electric-readings pipeline on an embedded broker: the meter-readings source, audit and billing (two groups on one topic), ' +
        'consumption-average (2 instances) and alerts, each its own process; show them live; drain, stop, and check every output against ' +
        'ground truth computed from the input (PASS/FAIL per check; exit 1 on any FAIL)',
    )
    .option('--duration <time>', 'how long the source produces', '30s')
    .option('--meters <n>', 'meters', '50')
    .option('--speedup <x>', 'event time runs this much faster than wall time (1440: a day of readings per minute)', '1440')
    .option('--start <time>', 'event time of the first readings (noon: the run covers the evening peak and night-time car charging)', '2026-01-05T12:00:00Z')
    .option('--seed <n>', 'seed of the readings and of --kill-random', '42')
    .option('--malformed-every <n>', 'every n-th reading is malformed on purpose (negative kWh, non-numeric kWh, no meter, bad ts, in turn)', '2000')
    .option('--partitions <n>', 'partitions of every topic', '4')
    .option('--instances <n>', 'consumption-average worker processes', '2')
    .option('--kill-random', 'SIGKILL a random stage process every few seconds while the source runs (each is restarted); the checks must still pass')
    .option('--kill-every <time>', 'mean pause between two kills', '4s')
    .option(
      '--chaos',
      "inject faults into the embedded broker while the source runs: a broker down and up, partition leader moves, errors on Produce, Fetch, " +
        'OffsetCommit and JoinGroup requests, round-trip-time spikes (each kind once per round, listed in the summary); the checks must still pass',
    )
    .option('--chaos-every <time>', 'mean pause between two injected faults', '2s')
    .option('--drain-timeout <time>', 'how long to wait for every stage to reach lag 0 after the source ends', '120s')
    .option('--threshold <kwh>', 'alerts threshold: average kWh per reading in an hour (0.04 per 1-minute reading is 2.4 kW)', '0.04')
    .option('--dir <dir>', 'working directory (state, logs, pids.json); emptied at start', '.seda/demo')
    .option('--report <file>', 'also write the results as JSON')
    .option('--ui', 'serve the pipeline page (seda ui) on 127.0.0.1 while the pipeline runs, and keep it up after the checks until Ctrl-C')
    .option('--ui-port <port>', 'port of the page with --ui (0: any free one)', '8080')
    .option('--plain', 'plain progress lines even on a terminal')
    .addOption(new Option('--log-level <level>', 'log level of the stages (their logs are in <dir>/logs)').choices(['debug', 'info', 'warn']).default('info'))
    .option('--verbose', 'print stack traces of errors')
    .action(async (flags: { [flag: string]: unknown }) => {
      const demo = await loadDemo();
      const code = await demo.runDemoCli(flags, sedaBin);
      // Exit now: the embedded broker's native teardown may keep the process alive long after it is stopped.
      await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
      process.exit(code);
    });
}
