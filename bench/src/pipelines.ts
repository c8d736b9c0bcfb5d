import { measurePipeline, type PipelineSpec } from './harness.js';
import type { LoadPayload } from './load/generator.js';
import type { Measurement, Phase } from './measurement.js';
import { expectedHourlyWindows, readingsSpec } from './payload.js';
import type { ScenarioContext } from './scenario.js';
import type { SystemKind, WorkerConfig } from './worker/protocol.js';

/** Messages, warm-up and rate of a phase: full speed, or the fixed rate for `rateSeconds` after 1 s of warm-up. */
export function phaseLoad(ctx: ScenarioContext, phase: Phase): { messages: number; warmup: number; rate: number } {
  const o = ctx.options;
  return phase === 'throughput' ? { messages: o.messages, warmup: o.warmup, rate: 0 } : { messages: o.rate * o.rateSeconds, warmup: o.rate, rate: o.rate };
}

/** What runs a system: a worker kind and, for seda, its stage module. */
export interface SystemRun {
  id: string;
  kind: SystemKind;
  stagePath?: string;
  /** More of the worker's config. */
  worker?: Pick<WorkerConfig, 'lineage'>;
}

/** The identity pipeline (stamped values echoed), with `groups` groups of `instances` processes each (`preload`: see {@link PipelineSpec.preload}). */
export function echoPipeline(ctx: ScenarioContext, run: SystemRun, phase: Phase, shape: { groups?: number; instances?: number; preload?: boolean } = {}): Promise<Measurement> {
  const o = ctx.options;
  const load = phaseLoad(ctx, phase);
  return measurePipeline(
    {
      system: run.id,
      kind: run.kind,
      stagePath: run.stagePath,
      worker: run.worker,
      phase,
      groups: shape.groups ?? 1,
      instances: shape.instances ?? 1,
      partitions: o.partitions,
      ...load,
      preload: shape.preload,
      payload: { kind: 'stamped', size: o.size },
      output: 'stamped',
      expectedOutputs: load.messages + load.warmup,
      maxLead: o.maxLead,
      kafka: o.kafka,
    },
    ctx.harness,
  );
}

/**
 * A pipeline over meter readings: echoed (`readings`, each output checked by
 * its sequence number) or aggregated into hourly windows (`windows`, checked
 * against the windows, readings and kWh the input must give).
 */
export function readingsPipeline(ctx: ScenarioContext, run: SystemRun, output: 'readings' | 'windows'): Promise<Measurement> {
  const o = ctx.options;
  const spec = readingsSpec(o.meters, o.partitions);
  const total = o.messages + o.warmup;
  const windows = output === 'windows' ? expectedHourlyWindows(spec, total) : undefined;
  return measurePipeline(
    {
      system: run.id,
      kind: run.kind,
      stagePath: run.stagePath,
      worker: run.worker,
      phase: 'throughput',
      groups: 1,
      instances: 1,
      partitions: o.partitions,
      messages: o.messages,
      warmup: o.warmup,
      rate: 0,
      payload: { kind: 'readings', spec },
      output,
      expectedOutputs: windows?.count ?? total,
      expectedWindows: windows,
      maxLead: o.maxLead,
      kafka: o.kafka,
    },
    ctx.harness,
  );
}

/**
 * A user's stage (`seda bench --stage`) over the input `record(seq)` makes
 * (or meter readings): every output counted, none checked, since only the
 * stage knows what it emits; the run ends when every input was consumed and
 * the outputs stopped coming.
 */
export function userInputPipeline(ctx: ScenarioContext, run: SystemRun, record: Extract<LoadPayload, { kind: 'records' }>['record'] | undefined): Promise<Measurement> {
  const o = ctx.options;
  const payload: LoadPayload = record === undefined ? { kind: 'readings', spec: readingsSpec(o.meters, o.partitions) } : { kind: 'records', record };
  return measurePipeline(
    {
      system: run.id,
      kind: run.kind,
      stagePath: run.stagePath,
      worker: run.worker,
      phase: 'throughput',
      groups: 1,
      instances: 1,
      partitions: o.partitions,
      messages: o.messages,
      warmup: o.warmup,
      rate: 0,
      payload,
      output: 'any',
      expectedOutputs: 0,
      maxLead: o.maxLead,
      kafka: o.kafka,
    },
    ctx.harness,
  );
}
