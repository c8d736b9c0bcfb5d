import { Command, Option } from 'commander';
import { parseKafkaProperties } from '@seda/kafka';
import type { BenchOptions } from './options.js';
import { runBench } from './runner.js';
import { discoverScenarios } from './scenario.js';
import { runSoakCli } from './soak/soak-cli.js';
import { parseCommand } from './parse-command.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const num = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new Error(`${flag} must be a number (got "${v}")`);
  return n;
};

/**
 * `seda bench [scenario...]`: the bench runner's command line. `argv` are the
 * arguments after `bench`. Resolves with the exit code: 0 when every
 * measurement completed, 1 when one failed or lost records.
 */
export async function runBenchCli(argv: string[]): Promise<number> {
  // Not a scenario (no systems side by side, no throughput): a long run with its own options.
  if (argv[0] === 'soak') return runSoakCli(argv.slice(1));
  const scenarios = await discoverScenarios();
  let exitCode = 0;
  const program = new Command('seda bench')
    .description(
      'measure what a stage costs: throughput, end-to-end latency, memory and CPU of seda next to a raw node-rdkafka baseline (plain and writing seda\'s lineage header), ' +
        'KafkaJS and the opt-in peers (npm run bench:peers) measured in the same run on fresh embedded brokers; prints a table with every target met / NOT MET, saves JSON, appends RESULTS.md and writes an SVG chart',
    )
    .argument('[scenario...]', `scenarios to run (default: all but "stage", or only "stage" when --stage is given): ${scenarios.map((s) => s.name).join(', ')}`)
    .option('--messages <n>', 'measured messages per system (default: per scenario, sized for about 20 s)', num('--messages'))
    .option('--size <bytes>', 'message value size', num('--size'))
    .option('--partitions <p>', 'partitions of every topic (default 8)', num('--partitions'))
    .option('--runs <k>', 'runs of every measurement; the median is reported (default 1)', num('--runs'))
    .option('--rate <msgs>', 'rate of the fixed-rate latency phase in msg/s, 0 to skip it (default 10000)', num('--rate'))
    .option('--quick', 'small runs: the whole suite in a few minutes')
    .option('--json <file>', 'also write every result to this JSON file')
    .option('--stage <path>', 'measure your stage module (stateless or stateful, built JS) next to the raw passthrough of the same input; with "stateful" named, that scenario measures it instead of its hourly average')
    .option('--sample <file>', '--stage input: records one a line, JSON {"key": ..., "value": ...} or the value itself, written over and over')
    .option('--generator <module>', '--stage input: a module whose default export (seq) => ({ key, value }) makes record seq (default input: meter readings, JSON {kwh, ts, n} keyed by meter)')
    .option('--meters <n>', 'stateful scenario: number of meters (default 10000)', num('--meters'))
    .option('--kafka <key=value>', 'librdkafka property for every system under test (repeatable)', collect)
    .option('--out <dir>', 'where RESULTS.md, results/*.json and results/*.svg go (default: the bench package)')
    .option('--no-save', 'print the tables only')
    .option('--cpu-prof', 'profile the systems under test (node --cpu-prof into <out>/profiles)')
    .addOption(new Option('--verbose', 'print stack traces of errors').hideHelp())
    .exitOverride()
    .action(async (names: string[], flags: Omit<BenchOptions, 'scenarios' | 'kafka'> & { kafka?: string[] }) => {
      const results = await runBench({ ...flags, scenarios: names, kafka: parseKafkaProperties(flags.kafka ?? []) });
      const bad = results.flatMap((r) => r.systems).filter((s) => s.errors.length > 0 || s.missing > 0);
      if (bad.length > 0) {
        process.stderr.write(`error: ${bad.length} system(s) had errors or lost records: ${bad.map((s) => s.label).join(', ')} (see the tables)\n`);
        exitCode = 1;
      }
    });
  return (await parseCommand(program, argv)) ?? exitCode;
}
