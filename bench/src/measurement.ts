import type { LatencySummary } from './histogram.js';
import { interpolate, timeAtCount } from './stats.js';
import type { WorkerSample } from './worker/protocol.js';

/** The two phases of a measurement: full speed, and a fixed moderate rate for latency. */
export type Phase = 'throughput' | 'latency';

/** Records deleted by the embedded broker's retention, and whether any reader missed them. */
export interface RetentionReport {
  /** Highest log start offset over the input partitions (0: nothing deleted). */
  inputLogStart: number;
  /** Highest log start offset over the output partitions. */
  outputLogStart: number;
  /** Records a reader needed that retention deleted first (inferred from missing outputs). */
  lost: number;
}

/** Cores busy on average during the measured window, by who used them. */
export interface CoreUse {
  /** The processes of the system under test. */
  workers?: number;
  /** The embedded broker's process. */
  broker?: number;
  /** The bench process: load generator and observer. */
  harness?: number;
  /** The whole machine (every process, ours or not). */
  machine?: number;
}

/** One measurement of one system in one phase of one run. */
export interface Measurement {
  system: string;
  /** Why it was not measured (a peer not installed, or one the embedded broker cannot serve); no figures then. */
  notMeasured?: string;
  phase: Phase;
  /** Measured messages (warm-up excluded), per group. */
  messages: number;
  groups: number;
  instances: number;
  /** Bytes of one message value (mean for JSON readings). */
  sizeBytes: number;
  /** Length of the measured window, s. */
  seconds?: number;
  /** Input messages through the system per second (each group processes every message). */
  msgsPerSec?: number;
  /** `msgsPerSec` x value size, in MB (10^6 bytes) per second. */
  mbPerSec?: number;
  /** End-to-end latency, ms: produce time to the output's delivery. */
  latency?: LatencySummary;
  /** Peak RSS of the largest process of the system, MB (2^20 bytes). */
  peakRssMB?: number;
  /** Sum of the peak RSS of all its processes, MB. */
  totalPeakRssMB?: number;
  /** RSS while it processed its last 100k records minus while it processed its first 100k, MB (runs of 200k+). */
  rssGrowthMB?: number;
  /** CPU seconds of the system's processes per million messages processed (each group's counted). */
  cpuSecPerM?: number;
  cores: CoreUse;
  duplicates: number;
  missing: number;
  /** Peak RSS (MB) of the largest process in each 100k records after the warm-up (runs of 200k+). */
  rssPer100k?: number[];
  /** `any` outputs (a user's stage): the outputs counted, which nothing checks. */
  outputs?: number;
  /** Full speed: the largest number of messages the generator ran ahead of the system. */
  maxLead?: number;
  retention?: RetentionReport;
  /** Throughput over time: [seconds since the window started, input messages per second]. */
  series: Array<[number, number]>;
  /** RSS over time of the largest process: [seconds since the window started, MB]. */
  rssSeries: Array<[number, number]>;
  errors: string[];
  notes: string[];
}

/** A worker's samples as [t, value] series. */
export function seriesOf(samples: WorkerSample[], pick: (s: WorkerSample) => number): Array<[number, number]> {
  return samples.map((s) => [s.t, pick(s)] as [number, number]);
}

/** The sum of several sampled counters, evaluated at the union of their sample times. */
export function sumSeries(series: Array<Array<[number, number]>>): Array<[number, number]> {
  const times = [...new Set(series.flatMap((s) => s.map(([t]) => t)))].sort((a, b) => a - b);
  return times.map((t) => [t, series.reduce((n, s) => n + (interpolate(s, t) ?? 0), 0)] as [number, number]);
}

/** A counter's rate over time in buckets of `bucketMicros`: [seconds since `from`, per second]. */
export function rateSeries(counter: Array<[number, number]>, from: number, to: number, bucketMicros = 500_000): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let t = from; t + bucketMicros <= to + 1; t += bucketMicros) {
    const a = interpolate(counter, t) ?? 0;
    const b = interpolate(counter, t + bucketMicros) ?? 0;
    out.push([Math.round(((t + bucketMicros - from) / 1e6) * 100) / 100, Math.round(((b - a) * 1e6) / bucketMicros)]);
  }
  return out;
}

/**
 * Memory growth of one process: its highest RSS while its counter went from
 * `from` to `from + span`, against its highest RSS while the counter covered
 * the last `span` records before `to`. Undefined when the run is shorter than
 * two spans.
 */
export function rssGrowth(samples: WorkerSample[], from: number, to: number, span = 100_000): number | undefined {
  if (to - from < 2 * span || samples.length === 0) return undefined;
  const counts = seriesOf(samples, (s) => s.count);
  const firstEnd = timeAtCount(counts, from + span);
  const lastStart = timeAtCount(counts, to - span);
  if (firstEnd === undefined || lastStart === undefined) return undefined;
  const firstStart = timeAtCount(counts, from) ?? samples[0].t;
  let first = 0;
  let last = 0;
  for (const s of samples) {
    if (s.t >= firstStart && s.t <= firstEnd) first = Math.max(first, s.rss);
    if (s.t >= lastStart) last = Math.max(last, s.rss);
  }
  return first === 0 || last === 0 ? undefined : last - first;
}

/**
 * Peak RSS (MB) in each block of `span` records consumed after `from`: a
 * per-record leak shows as a rising row, steady memory as a flat one.
 */
export function rssPerBlock(samples: WorkerSample[], from: number, span = 100_000): number[] {
  const blocks: number[] = [];
  for (const s of samples) {
    if (s.count < from) continue;
    const b = Math.floor((s.count - from) / span);
    blocks[b] = Math.max(blocks[b] ?? 0, s.rss);
  }
  // A block is complete only when a later one started; blocks no sample fell in are skipped.
  return blocks.slice(0, -1).filter((v) => v !== undefined).map((v) => Math.round(toMB(v)));
}

/** MB (2^20 bytes). */
export const toMB = (bytes: number): number => bytes / 2 ** 20;

/** A process's RSS over time in MB, one point per `everyMicros`, from `from` (µs) on. */
export function rssSeriesOf(samples: WorkerSample[], from: number, to: number, everyMicros = 500_000): Array<[number, number]> {
  const series = seriesOf(samples, (s) => s.rss);
  const out: Array<[number, number]> = [];
  for (let t = from; t <= to; t += everyMicros) out.push([Math.round(((t - from) / 1e6) * 100) / 100, Math.round(toMB(interpolate(series, t) ?? 0) * 10) / 10]);
  return out;
}
