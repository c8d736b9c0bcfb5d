import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { parseDuration, parseTime, SedaError } from '@seda/core';
import type { DemoOptions } from './plan.js';
import { runDemo } from './run-demo.js';

interface DemoFlags {
  duration: string;
  meters: string;
  speedup: string;
  start: string;
  seed: string;
  malformedEvery: string;
  partitions: string;
  instances: string;
  killRandom?: boolean;
  killEvery: string;
  chaos?: boolean;
  chaosEvery: string;
  drainTimeout: string;
  threshold: string;
  dir: string;
  report?: string;
  plain?: boolean;
  logLevel: string;
  ui?: boolean;
  uiPort: string;
}

/** Resolves and checks the flags; every problem in one error. */
export function demoOptions(flags: DemoFlags): DemoOptions {
  const problems: string[] = [];
  const num = (flag: string, v: string, min: number, integer = false): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      problems.push(`${flag} must be a ${integer ? 'whole number' : 'number'} >= ${min} (got "${v}")`);
      return min;
    }
    return n;
  };
  const dur = (flag: string, v: string, minMs: number): number => {
    try {
      const ms = parseDuration(v, flag);
      if (ms >= minMs) return ms;
    } catch {
      // reported below
    }
    problems.push(`${flag} must be a duration of at least ${minMs / 1000} s, e.g. 30s (got "${v}")`);
    return minMs;
  };
  let startMs = 0;
  try {
    startMs = parseTime(flags.start, '--start');
  } catch {
    problems.push(`--start must be an ISO-8601 time with a zone, e.g. 2026-01-05T00:00:00Z (got "${flags.start}")`);
  }
  const o: DemoOptions = {
    durationMs: dur('--duration', flags.duration, 1000),
    meters: num('--meters', flags.meters, 1, true),
    speedup: num('--speedup', flags.speedup, 1),
    startMs,
    seed: num('--seed', flags.seed, 0, true),
    malformedEvery: num('--malformed-every', flags.malformedEvery, 2, true),
    partitions: num('--partitions', flags.partitions, 1, true),
    instances: num('--instances', flags.instances, 1, true),
    killRandom: flags.killRandom === true,
    killEveryMs: dur('--kill-every', flags.killEvery, 500),
    chaos: flags.chaos === true,
    chaosEveryMs: dur('--chaos-every', flags.chaosEvery, 200),
    drainTimeoutMs: dur('--drain-timeout', flags.drainTimeout, 1000),
    dir: resolve(flags.dir),
    reportFile: flags.report === undefined ? undefined : resolve(flags.report),
    tty: flags.plain !== true && process.stdout.isTTY === true,
    tariff: { peakStart: '07:00', peakEnd: '23:00', peakPrice: 0.3, offPeakPrice: 0.15 },
    threshold: num('--threshold', flags.threshold, 0),
    logLevel: flags.logLevel,
    ...(flags.ui === true ? { uiPort: num('--ui-port', flags.uiPort, 0, true) } : {}),
  };
  if (o.instances > o.partitions) problems.push(`--instances ${o.instances} is more than --partitions ${o.partitions}: the extra instances would idle`);
  if (problems.length > 0) throw new SedaError('SEDA_DEMO_OPTIONS', `seda demo: ${problems.join('; ')}`);
  return o;
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
    .action(async (flags: DemoFlags) => {
      const code = await runDemo(demoOptions(flags));
      // Exit now: the embedded broker's native teardown may keep the process alive long after it is stopped.
      await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
      process.exit(code);
    });
}
