import { join } from 'node:path';
import { commitInfo, machineInfo } from './machine.js';
import type { Measurement, Phase } from './measurement.js';
import { benchDir, scenarioOptions, validateOptions, type BenchOptions } from './options.js';
import { progressView, type ProgressView } from './progress.js';
import { scenarioChart } from './report/chart.js';
import { formatNumber } from './report/format.js';
import { appendResults, writeJson } from './report/results-file.js';
import { textTable } from './report/table.js';
import { scenarioResult, systemResult, type ScenarioResult } from './results.js';
import { discoverScenarios, type Scenario, type ScenarioSystem } from './scenario.js';
import { writeFileSync, mkdirSync } from 'node:fs';

/** Where the runner writes: the tables (stdout) and progress (stderr). */
export interface RunnerIO {
  out: { write(text: string): unknown };
  progress?: ProgressView;
  /** Told each step of every measurement (set-up, load, stop...), for diagnosing slow set-ups. */
  onStep?: (step: string) => void;
}

/** A measurement that failed: its error and no figures (or, for SEDA_BENCH_NOT_MEASURED, why it was not measured). */
function failed(system: ScenarioSystem, phase: Phase, err: unknown): Measurement {
  const message = (err as Error).message ?? String(err);
  if ((err as { code?: string }).code === 'SEDA_BENCH_NOT_MEASURED') {
    return { system: system.id, phase, notMeasured: message, messages: 0, groups: 0, instances: 0, sizeBytes: 0, cores: {}, duplicates: 0, missing: 0, series: [], rssSeries: [], errors: [], notes: [] };
  }
  return { system: system.id, phase, messages: 0, groups: 0, instances: 0, sizeBytes: 0, cores: {}, duplicates: 0, missing: 0, series: [], rssSeries: [], errors: [(err as Error).message ?? String(err)], notes: [] };
}

/** The systems of run `k` in rotated order, so slow drift of a shared machine does not always favour the same one. */
export function rotate<T>(items: T[], k: number): T[] {
  const n = items.length;
  return n === 0 ? [] : items.map((_, i) => items[(i + k) % n]);
}

/**
 * Runs scenarios: for each, every system at full speed (then at the fixed
 * rate) `runs` times, medians, ratios to the baseline, targets; prints the
 * table and saves `results/<scenario>[-quick].json`, a RESULTS.md entry and
 * `results/<scenario>[-quick].svg`.
 */
export async function runBench(options: BenchOptions, io: RunnerIO = { out: process.stdout }): Promise<ScenarioResult[]> {
  const all = await discoverScenarios();
  validateOptions(options, all.map((s) => s.name));
  // No scenario named: every one but `stage` (your stage), or only `stage` when --stage gives it.
  const unnamed = options.stage !== undefined ? all.filter((s) => s.name === 'stage') : all.filter((s) => s.name !== 'stage');
  const selected = options.scenarios.length === 0 ? unnamed : options.scenarios.map((n) => all.find((s) => s.name === n)!);
  const out = options.out ?? benchDir;
  const progress = io.progress ?? progressView();
  const machine = machineInfo();
  const commit = commitInfo(benchDir);
  const results: ScenarioResult[] = [];
  for (const scenario of selected) {
    const result = await runScenario(scenario, options, progress, { machine, commit, out, onStep: io.onStep });
    results.push(result);
    io.out.write(`\n${textTable(result)}\n`);
    if (options.save !== false) {
      // Quick runs keep their own files: the full run's stay the latest full figures.
      const base = `${scenario.name}${options.quick ? '-quick' : ''}`;
      writeJson(join(out, 'results', `${base}.json`), result);
      const chart = join(out, 'results', `${base}.svg`);
      mkdirSync(join(out, 'results'), { recursive: true });
      writeFileSync(chart, scenarioChart(result));
      appendResults(out, result, chart);
    }
  }
  if (options.json !== undefined) writeJson(options.json, { date: new Date().toISOString(), machine, commit, results });
  return results;
}

async function runScenario(
  scenario: Scenario,
  options: BenchOptions,
  progress: ProgressView,
  where: { machine: ReturnType<typeof machineInfo>; commit: ReturnType<typeof commitInfo>; out: string; onStep?: (step: string) => void },
): Promise<ScenarioResult> {
  const so = scenarioOptions(scenario, options);
  const runs = options.runs ?? 1;
  const harness = {
    workerExecArgv: options.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', join(where.out, 'profiles')] : [],
    onProgress: (p: Parameters<ProgressView['update']>[0]) => progress.update(p),
    onStep: where.onStep,
  };
  const measured = new Map<string, { throughput: Measurement[]; latency: Measurement[] }>(scenario.systems.map((s) => [s.id, { throughput: [], latency: [] }]));
  const phases: Phase[] = scenario.latencyPhase && so.rate > 0 ? ['throughput', 'latency'] : ['throughput'];
  for (let k = 0; k < runs; k++) {
    for (const phase of phases) {
      for (const system of rotate(scenario.systems, k)) {
        if (phase === 'latency' && system.latency === false) continue;
        const label = `${scenario.name} ${system.id} ${phase === 'throughput' ? 'full speed' : `@${formatNumber(so.rate)}/s`}${runs > 1 ? ` (run ${k + 1}/${runs})` : ''}`;
        const total = phase === 'throughput' ? so.messages + so.warmup : so.rate * (so.rateSeconds + 1);
        progress.start(label, total);
        let m: Measurement;
        try {
          m = await scenario.measure({ options: so, harness }, system, phase);
        } catch (err) {
          m = failed(system, phase, err);
        }
        measured.get(system.id)![phase].push(m);
        if (m.notMeasured !== undefined) {
          progress.stop(`${label}: not measured: ${m.notMeasured}`);
          continue;
        }
        progress.stop(`${label}: ${m.errors.length > 0 && m.msgsPerSec === undefined ? `FAILED: ${m.errors[0]}` : summary(m)}`);
      }
    }
  }
  const { stages, ...rest } = so;
  return scenarioResult(
    {
      scenario: scenario.name,
      description: scenario.description,
      date: new Date().toISOString(),
      machine: where.machine,
      commit: where.commit,
      options: { ...rest, stage: scenario.name === 'stateful' ? stages.stateful : scenario.name === 'stage' ? stages.user : undefined },
      runs,
      systems: scenario.systems.map((s) => systemResult(s, measured.get(s.id)!.throughput, measured.get(s.id)!.latency)),
      notes: scenario.notes ?? [],
    },
    scenario.targets,
  );
}

function summary(m: Measurement): string {
  const parts = [`${formatNumber(m.msgsPerSec)} msg/s`];
  if (m.latency) parts.push(`p99 ${formatNumber(m.latency.p99)} ms`);
  if (m.peakRssMB !== undefined) parts.push(`peak RSS ${formatNumber(m.peakRssMB)} MB`);
  if (m.errors.length > 0) parts.push(`${m.errors.length} error(s): ${m.errors[0]}`);
  return parts.join(', ');
}
