import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchError } from './errors.js';
import type { HarnessOptions } from './harness.js';
import type { Measurement, Phase } from './measurement.js';
import type { ScenarioResult } from './results.js';

/** A system a scenario measures. */
export interface ScenarioSystem {
  /** Short id used in JSON and column headers: `raw`, `seda`, `kafkajs`... */
  id: string;
  /** Name in reports. */
  label: string;
  /** The raw node-rdkafka baseline every ratio is taken against (exactly one per scenario). */
  baseline?: boolean;
  /** Whether the fixed-rate latency phase measures it (default: when the scenario has one). */
  latency?: boolean;
}

/** The resolved options a scenario runs with. */
export interface ScenarioOptions {
  /** Measured messages of the full-speed phase. */
  messages: number;
  /** Warm-up messages before them. */
  warmup: number;
  /** Value size in bytes (stamped payloads). */
  size: number;
  partitions: number;
  /** Fixed rate of the latency phase (msg/s); 0: no latency phase. */
  rate: number;
  /** Seconds the latency phase measures (after a 1 s warm-up). */
  rateSeconds: number;
  /** Full speed: the most messages the generator runs ahead of the system. */
  maxLead: number;
  /** Meters of the stateful scenario's readings. */
  meters: number;
  /** Stage modules: the identity stage, the stateful stage (`--stage` or the bench's own windowed one), the bench's key/value-state one, the same joined with a tariffs table, and a CPU-bound one. */
  stages: { identity: string; stateful: string; statefulKv: string; statefulJoin: string; cpuWork: string; user?: string };
  /** The `stage` scenario's input (`--sample` or `--generator`, resolved); neither: meter readings. */
  input: { sample?: string; generator?: string };
  /** librdkafka properties for the systems under test. */
  kafka: { [key: string]: string | number | boolean };
  quick: boolean;
}

/** What a scenario's measure function gets. */
export interface ScenarioContext {
  options: ScenarioOptions;
  harness: HarnessOptions;
}

/** A performance target checked on a scenario's result. */
export interface Target {
  /** What is promised, e.g. `seda >= 0.9x raw node-rdkafka (msg/s)`. */
  name: string;
  /** The figure, whether it is met (undefined: could not be measured), and how it was measured. */
  evaluate(result: ScenarioResult): TargetOutcome;
}

/** The outcome of one target. */
export interface TargetOutcome {
  value?: number;
  met?: boolean;
  /** A figure shown with the targets that promises nothing: printed `[info]`. */
  info?: boolean;
  detail: string;
}

/** A bench scenario: a module under scenarios/ whose default export is `defineScenario({...})`. */
export interface Scenario {
  name: string;
  description: string;
  systems: ScenarioSystem[];
  /** Measured messages by default: full run (sized for ~20 s of the slowest system) and --quick. */
  defaults: { messages: number; quickMessages: number; partitions?: number };
  /** Whether the scenario has a fixed-rate latency phase. */
  latencyPhase: boolean;
  /** Measures one system in one phase; the runner owns repetition, medians and reporting. */
  measure(ctx: ScenarioContext, system: ScenarioSystem, phase: Phase): Promise<Measurement>;
  targets: Target[];
  /** Lines printed under the table: what the numbers mean here. */
  notes?: string[];
}

/** Defines a scenario; checks it once. */
export function defineScenario(scenario: Scenario): Scenario {
  const problems: string[] = [];
  if (!/^[a-z][a-z0-9-]*$/.test(scenario.name ?? '')) problems.push('"name" must be lower-case letters, digits and dashes');
  if (!Array.isArray(scenario.systems) || scenario.systems.length === 0) problems.push('"systems" must list at least one system');
  else if (scenario.systems.filter((s) => s.baseline).length !== 1) problems.push('exactly one system must be the baseline');
  if (typeof scenario.measure !== 'function') problems.push('"measure" must be a function');
  if (problems.length > 0) throw benchError('SEDA_BENCH_SCENARIO', `scenario "${scenario.name}" is invalid: ${problems.join('; ')}`);
  return Object.freeze(scenario);
}

/** Where the built scenario modules are. */
export const scenariosDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');

/** Loads every `*.bench.js` module of `dir`, in the order of `preferred` then by name. */
export async function discoverScenarios(dir = scenariosDir, preferred = ['produce', 'passthrough', 'fanout', 'stateful', 'scaling']): Promise<Scenario[]> {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.bench.js'));
  } catch (err) {
    throw benchError('SEDA_BENCH_SCENARIO', `cannot read the scenarios in ${dir} (built? run "npm run build"): ${(err as Error).message}`, { cause: err });
  }
  const scenarios: Scenario[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default?: Scenario };
    if (mod.default === undefined || typeof mod.default.measure !== 'function') {
      throw benchError('SEDA_BENCH_SCENARIO', `${join(dir, f)} does not export a scenario: its default export must be defineScenario({...})`);
    }
    scenarios.push(mod.default);
  }
  const rank = (s: Scenario): number => (preferred.includes(s.name) ? preferred.indexOf(s.name) : preferred.length);
  return scenarios.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}
