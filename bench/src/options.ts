import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mockRetentionBytesPerPartition, type KafkaProperties } from '@seda/kafka';
import { benchError } from './errors.js';
import { STAMP_BYTES } from './payload.js';
import type { Scenario, ScenarioOptions } from './scenario.js';

/** Options of `seda bench`, as given. */
export interface BenchOptions {
  /** Scenarios to run; empty: all of them. */
  scenarios: string[];
  /** Measured messages (default: each scenario's, sized for about 20 s). */
  messages?: number;
  /** Value size in bytes. Default 100. */
  size?: number;
  /** Partitions of every topic. Default 8. */
  partitions?: number;
  /** Runs of every measurement; the median is reported. Default 1. */
  runs?: number;
  /** Also write every result to this JSON file. */
  json?: string;
  /** Rate of the fixed-rate latency phase, msg/s; 0 skips it. Default 10000. */
  rate?: number;
  /** Smaller runs: the suite finishes in a few minutes. */
  quick?: boolean;
  /**
   * A stage module to measure: alone (no scenario named) it runs the `stage`
   * scenario (that stage next to the raw passthrough of the same input);
   * with `stateful` named, the stateful scenario measures it instead of the
   * bench's hourly-average stage.
   */
  stage?: string;
  /** `stage` scenario: a file of input records, one a line (JSON `{key, value}` or the value itself). */
  sample?: string;
  /** `stage` scenario: a module whose default export `(seq) => ({ key, value })` makes the input. */
  generator?: string;
  /** Meters of the stateful scenario's readings. Default 10000. */
  meters?: number;
  /** librdkafka properties for every system under test. */
  kafka?: KafkaProperties;
  /** Where RESULTS.md, results/*.json and the charts go. Default: the bench package. */
  out?: string;
  /** Save results (RESULTS.md, JSON, charts). Default true. */
  save?: boolean;
  /** Profile the systems under test with `node --cpu-prof` into <out>/profiles. */
  cpuProf?: boolean;
}

/** The bench package's directory (RESULTS.md lives here). */
export const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const stagesDir = join(benchDir, 'dist', 'scenarios', 'stages');

/** Checks options once and lists every problem in one error. */
export function validateOptions(o: BenchOptions, known: string[]): void {
  const problems: string[] = [];
  const int = (v: number | undefined, flag: string, min: number): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < min)) problems.push(`${flag} must be a whole number >= ${min} (got ${v})`);
  };
  int(o.messages, '--messages', 1000);
  int(o.size, '--size', STAMP_BYTES);
  int(o.partitions, '--partitions', 1);
  int(o.runs, '--runs', 1);
  int(o.rate, '--rate', 0);
  int(o.meters, '--meters', 1);
  for (const s of o.scenarios) if (!known.includes(s)) problems.push(`unknown scenario "${s}" (known: ${known.join(', ')})`);
  if (o.stage !== undefined && !existsSync(resolve(o.stage))) problems.push(`--stage ${o.stage} does not exist (a built stage module, e.g. stages/consumption-average/dist/src/index.js)`);
  for (const [flag, file] of [['--sample', o.sample], ['--generator', o.generator]] as const) {
    if (file !== undefined && !existsSync(resolve(file))) problems.push(`${flag} ${file} does not exist`);
  }
  if (o.sample !== undefined && o.generator !== undefined) problems.push('give --sample or --generator, not both');
  if ((o.sample !== undefined || o.generator !== undefined) && o.stage === undefined) problems.push('--sample and --generator are the input of --stage: give the stage module too');
  if (o.scenarios.includes('stage') && o.stage === undefined) problems.push('the stage scenario measures your stage: give it with --stage <module>');
  if (problems.length > 0) throw benchError('SEDA_BENCH_OPTIONS', problems.join('; '));
}

/** Warm-up before the measured messages: 10% of them, between 1k and 100k. */
export function warmupFor(messages: number): number {
  return Math.min(100_000, Math.max(1000, Math.round(messages / 10)));
}

/**
 * The most messages the generator may run ahead of the system at full speed:
 * 20k, or less when a quarter of the broker's per-partition retention could
 * not hold that backlog (bigger messages, fewer partitions).
 */
export function maxLeadFor(partitions: number, size: number): number {
  const perMessage = size + 70; // value plus record and batch overhead in the broker's log
  return Math.max(100, Math.min(20_000, Math.floor((0.25 * partitions * mockRetentionBytesPerPartition) / perMessage)));
}

/** The options one scenario runs with. */
export function scenarioOptions(scenario: Scenario, o: BenchOptions): ScenarioOptions {
  const quick = o.quick === true;
  const messages = o.messages ?? (quick ? scenario.defaults.quickMessages : scenario.defaults.messages);
  const size = o.size ?? 100;
  const partitions = o.partitions ?? scenario.defaults.partitions ?? 8;
  return {
    messages,
    warmup: warmupFor(messages),
    size,
    partitions,
    rate: o.rate ?? 10_000,
    rateSeconds: quick ? 3 : 10,
    maxLead: maxLeadFor(partitions, size),
    meters: o.meters ?? 10_000,
    stages: {
      identity: join(stagesDir, 'identity.js'),
      stateful: o.stage === undefined ? join(stagesDir, 'hourly-average.js') : resolve(o.stage),
      statefulKv: join(stagesDir, 'hourly-average-state.js'),
      statefulJoin: join(stagesDir, 'hourly-average-tariffs.js'),
      cpuWork: join(stagesDir, 'cpu-work.js'),
      user: o.stage === undefined ? undefined : resolve(o.stage),
    },
    input: { sample: o.sample === undefined ? undefined : resolve(o.sample), generator: o.generator === undefined ? undefined : resolve(o.generator) },
    kafka: o.kafka ?? {},
    quick,
  };
}
