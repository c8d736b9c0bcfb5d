import type { CommitInfo, MachineInfo } from './machine.js';
import type { Measurement } from './measurement.js';
import type { ScenarioOptions, ScenarioSystem, Target, TargetOutcome } from './scenario.js';
import { median, ratio } from './stats.js';

/** The figures reported per system: medians over the runs. */
export interface Figures {
  /** Full speed: input messages per second, and MB (10^6 bytes of values) per second. */
  msgsPerSec?: number;
  mbPerSec?: number;
  /** Full speed: end-to-end latency percentiles, ms. */
  p50?: number;
  p99?: number;
  p999?: number;
  /** Fixed rate: end-to-end latency percentiles, ms. */
  rateP50?: number;
  rateP99?: number;
  rateP999?: number;
  /** Peak RSS of the largest process, MB; RSS growth between the first and last 100k records, MB. */
  peakRssMB?: number;
  rssGrowthMB?: number;
  /** CPU seconds per million messages, processes of the system only. */
  cpuSecPerM?: number;
  /** Cores kept busy at full speed by the system's processes, the broker's, the bench's (load generator and observer), and the whole machine. */
  cores?: number;
  brokerCores?: number;
  harnessCores?: number;
  machineCores?: number;
  /** The whole machine's busy cores during the fixed-rate phase: a busy machine explains latency tails. */
  rateMachineCores?: number;
}

/** Keys of {@link Figures}, in report order. */
export const figureKeys = [
  'msgsPerSec',
  'mbPerSec',
  'p50',
  'p99',
  'p999',
  'rateP50',
  'rateP99',
  'rateP999',
  'peakRssMB',
  'rssGrowthMB',
  'cpuSecPerM',
  'cores',
  'brokerCores',
  'harnessCores',
  'machineCores',
  'rateMachineCores',
] as const;
/** Figures that describe the machine rather than the system: no ratio. */
const contextKeys: ReadonlySet<string> = new Set(['brokerCores', 'harnessCores', 'machineCores', 'rateMachineCores']);
/** One of {@link figureKeys}. */
export type FigureKey = (typeof figureKeys)[number];

/** One system's result in a scenario. */
export interface SystemResult {
  id: string;
  label: string;
  baseline: boolean;
  figures: Figures;
  /** Each figure divided by the baseline's (throughput: higher is better; the rest: lower is better). */
  ratio: { [K in FigureKey]?: number };
  /** Problems seen in any run: a clean result has none. */
  errors: string[];
  notes: string[];
  /** Why it was not measured (see {@link Measurement.notMeasured}); no figures then. */
  notMeasured?: string;
  duplicates: number;
  missing: number;
  /** Every measurement, full speed then fixed rate. */
  runs: Measurement[];
}

/** A scenario's result: every system, the targets, and where it was measured. */
export interface ScenarioResult {
  scenario: string;
  description: string;
  date: string;
  machine: MachineInfo;
  commit: CommitInfo;
  options: Omit<ScenarioOptions, 'stages' | 'input'> & { stage?: string; input?: ScenarioOptions['input'] };
  runs: number;
  baseline: string;
  systems: SystemResult[];
  targets: Array<{ name: string } & TargetOutcome>;
  notes: string[];
}

/** The median figures of a system's full-speed and fixed-rate measurements. */
export function figuresOf(throughput: Measurement[], latency: Measurement[]): Figures {
  const ok = (ms: Measurement[]): Measurement[] => ms.filter((m) => m.errors.length === 0 || m.msgsPerSec !== undefined);
  const t = ok(throughput);
  const l = ok(latency);
  const f: Figures = {
    msgsPerSec: median(t.map((m) => m.msgsPerSec)),
    mbPerSec: median(t.map((m) => m.mbPerSec)),
    p50: median(t.map((m) => m.latency?.p50)),
    p99: median(t.map((m) => m.latency?.p99)),
    p999: median(t.map((m) => m.latency?.p999)),
    rateP50: median(l.map((m) => m.latency?.p50)),
    rateP99: median(l.map((m) => m.latency?.p99)),
    rateP999: median(l.map((m) => m.latency?.p999)),
    peakRssMB: median(t.map((m) => m.peakRssMB)),
    rssGrowthMB: median(t.map((m) => m.rssGrowthMB)),
    cpuSecPerM: median(t.map((m) => m.cpuSecPerM)),
    cores: median(t.map((m) => m.cores.workers)),
    brokerCores: median(t.map((m) => m.cores.broker)),
    harnessCores: median(t.map((m) => m.cores.harness)),
    machineCores: median(t.map((m) => m.cores.machine)),
    rateMachineCores: median(l.map((m) => m.cores.machine)),
  };
  for (const k of figureKeys) if (f[k] === undefined) delete f[k];
  return f;
}

/** Each figure of `f` divided by the baseline's. */
export function ratiosOf(f: Figures, baseline: Figures): SystemResult['ratio'] {
  const out: SystemResult['ratio'] = {};
  for (const k of figureKeys) {
    if (contextKeys.has(k)) continue;
    const r = ratio(f[k], baseline[k]);
    if (r !== undefined) out[k] = r;
  }
  return out;
}

/** Builds a system's result from its measurements (ratios are filled by {@link scenarioResult}). */
export function systemResult(system: ScenarioSystem, throughput: Measurement[], latency: Measurement[]): SystemResult {
  const all = [...throughput, ...latency];
  return {
    id: system.id,
    label: system.label,
    baseline: system.baseline === true,
    figures: figuresOf(throughput, latency),
    ratio: {},
    notMeasured: all.find((m) => m.notMeasured !== undefined)?.notMeasured,
    errors: [...new Set(all.flatMap((m) => m.errors.map((e) => `${m.phase}: ${e}`)))],
    notes: [...new Set(all.flatMap((m) => m.notes))],
    duplicates: all.reduce((n, m) => n + m.duplicates, 0),
    missing: all.reduce((n, m) => n + m.missing, 0),
    runs: all,
  };
}

/** Fills ratios against the baseline and evaluates the targets. */
export function scenarioResult(base: Omit<ScenarioResult, 'targets' | 'baseline'>, targets: Target[]): ScenarioResult {
  const baseline = base.systems.find((s) => s.baseline);
  for (const s of base.systems) s.ratio = baseline === undefined ? {} : ratiosOf(s.figures, baseline.figures);
  const result: ScenarioResult = { ...base, baseline: baseline?.id ?? '', targets: [] };
  result.targets = targets.map((t) => {
    try {
      return { name: t.name, ...t.evaluate(result) };
    } catch (err) {
      return { name: t.name, detail: `could not be evaluated: ${(err as Error).message}` };
    }
  });
  return result;
}

/** A system of a result by id. */
export function systemOf(result: ScenarioResult, id: string): SystemResult | undefined {
  return result.systems.find((s) => s.id === id);
}

/** `system`'s figure divided by `other`'s in a result, with its detail; no value when either is missing. */
function measuredRatio(result: ScenarioResult, system: string, other: string, key: FigureKey): { value?: number; detail: string } {
  const a = systemOf(result, system);
  const b = systemOf(result, other);
  const value = ratio(a?.figures[key], b?.figures[key]);
  if (value === undefined) return { detail: missingDetail(a, b, system, other, key) };
  return { value, detail: `${value.toFixed(2)}x (${fmt(a!.figures[key])} vs ${fmt(b!.figures[key])})` };
}

/** Target: `system`'s figure divided by `other`'s, met when `within` holds for it. */
function ratioTarget(name: string, system: string, other: string, key: FigureKey, within: (value: number) => boolean): Target {
  return {
    name,
    evaluate(result) {
      const r = measuredRatio(result, system, other, key);
      return r.value === undefined ? r : { ...r, met: within(r.value) };
    },
  };
}

/** Target: `system`'s figure is at least `min` times `other`'s (a throughput ratio). */
export function atLeastTimes(name: string, system: string, other: string, key: FigureKey, min: number): Target {
  return ratioTarget(name, system, other, key, (value) => value >= min);
}

/** Target: `system`'s figure is at most `max` times `other`'s (a cost ratio: CPU, memory). */
export function atMostTimes(name: string, system: string, other: string, key: FigureKey, max: number): Target {
  return ratioTarget(name, system, other, key, (value) => value <= max);
}

/** A figure reported with the targets that promises nothing (e.g. what the lineage header costs the raw loop). */
export function ratioInfo(name: string, system: string, other: string, key: FigureKey): Target {
  return {
    name,
    evaluate(result) {
      return { ...measuredRatio(result, system, other, key), info: true };
    },
  };
}

function missingDetail(a: SystemResult | undefined, b: SystemResult | undefined, system: string, other: string, key: FigureKey): string {
  for (const s of [a, b]) if (s?.notMeasured !== undefined) return `${s.label} not measured: ${s.notMeasured}`;
  return `${a?.label ?? system} or ${b?.label ?? other} has no ${key}`;
}

/** Target: `system`'s figure is below `max`. */
export function below(name: string, system: string, key: FigureKey, max: number, unit: string): Target {
  return {
    name,
    evaluate(result) {
      const value = systemOf(result, system)?.figures[key];
      if (value === undefined) return { detail: `no ${key} was measured` };
      return { value, met: value < max, detail: `${fmt(value)} ${unit}` };
    },
  };
}

/**
 * Target: the stage's peak RSS stays under `maxMB` and flat: RSS while it
 * processed its last 100k records is at most `flatMB` above RSS while it
 * processed its first 100k after the warm-up.
 */
export function memoryTarget(name: string, system: string, maxMB: number, flatMB: number): Target {
  return {
    name,
    evaluate(result) {
      const f = systemOf(result, system)?.figures;
      if (f?.peakRssMB === undefined) return { detail: 'no RSS was measured' };
      if (f.rssGrowthMB === undefined) return { value: f.peakRssMB, detail: `peak ${fmt(f.peakRssMB)} MB; growth needs 200k+ measured messages per process` };
      const met = f.peakRssMB < maxMB && f.rssGrowthMB <= flatMB;
      return { value: f.peakRssMB, met, detail: `peak ${fmt(f.peakRssMB)} MB, growth first->last 100k ${fmt(f.rssGrowthMB)} MB` };
    },
  };
}

const fmt = (n: number | undefined): string => (n === undefined ? 'n/a' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
