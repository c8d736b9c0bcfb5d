import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { describeTopic } from '@seda/kafka';
import { BenchBroker } from './broker/bench-broker.js';
import { benchError } from './errors.js';
import { summarizeLatency } from './histogram.js';
import { preloadTables } from './table-preload.js';
import { LoadGenerator, type LoadPayload } from './load/generator.js';
import { Observer, type OutputKind } from './load/observer.js';
import { rateSeries, rssGrowth, rssPerBlock, rssSeriesOf, seriesOf, sumSeries, toMB, type CoreUse, type Measurement, type Phase, type RetentionReport } from './measurement.js';
import { nowMicros, type ExpectedWindows } from './payload.js';
import { Sampler } from './sampler.js';
import { interpolate, perSecond, timeAtCount } from './stats.js';
import { WorkerHandle } from './worker-handle.js';
import type { SystemKind, WorkerConfig, WorkerResult } from './worker/protocol.js';

/** Progress of a measurement, for the progress bar. */
export interface Progress {
  done: number;
  total: number;
  perSecond: number;
}

/** How the harness runs measurements. */
export interface HarnessOptions {
  /** Extra Node flags for worker processes, e.g. `--cpu-prof`. */
  workerExecArgv?: string[];
  /** Called about every 250 ms. */
  onProgress?: (p: Progress) => void;
  /** A measurement with no progress for this long fails. Default 30 s. */
  stallMs?: number;
  /** Told each step of a measurement as it starts (for diagnosing slow set-ups). */
  onStep?: (step: string) => void;
}

/** A consume -> process -> produce pipeline to measure. */
export interface PipelineSpec {
  /** Name of the system in reports. */
  system: string;
  kind: SystemKind;
  /** seda-stage: the stage module. */
  stagePath?: string;
  /** More of the worker's config (e.g. `lineage` for the raw baseline writing seda's header). */
  worker?: Pick<WorkerConfig, 'lineage'>;
  phase: Phase;
  /** Consumer groups reading the input (fanout), each writing its own output topic. */
  groups: number;
  /** Worker processes per group (parallel workers). */
  instances: number;
  partitions: number;
  /** Measured messages, and warm-up messages before them. */
  messages: number;
  warmup: number;
  payload: LoadPayload;
  /** What the outputs are and how many distinct ones each group must deliver. */
  output: OutputKind;
  expectedOutputs: number;
  /** windows: what their readings and kWh must add up to. */
  expectedWindows?: ExpectedWindows;
  /** 0: full speed (closed loop, at most `maxLead` ahead); else messages per second. */
  rate: number;
  /**
   * Preloaded input: the generator writes every message as fast as it can
   * (no lead limit), and the measured window starts only once it is done, so
   * the system has the machine's cores to itself (scaling a CPU-bound stage).
   */
  preload?: boolean;
  maxLead: number;
  /** librdkafka properties for the system under test. */
  kafka?: { [key: string]: string | number | boolean };
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** Buckets of the throughput-over-time series: about 40 per run, between 100 ms (the sampling period) and 1 s. */
export const bucketFor = (spanMicros: number): number => Math.min(1_000_000, Math.max(100_000, Math.round(spanMicros / 40 / 100_000) * 100_000));

/** Highest log start offset over a topic's partitions: above 0, the broker's retention deleted records. */
export async function logStart(brokers: string, topic: string): Promise<{ low: number; high: number }> {
  const parts = await describeTopic(brokers, topic);
  return { low: Math.max(...parts.map((p) => p.low)), high: parts.reduce((n, p) => n + p.high, 0) };
}

/** Waits until every partition is assigned in every group, each instance holding some. */
async function waitAssigned(groups: WorkerHandle[][], partitions: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failed = groups.flat().find((w) => w.failure !== undefined);
    if (failed) throw benchError('SEDA_BENCH_WORKER', failed.failure!);
    const stable = groups.every((ws) => ws.reduce((n, w) => n + w.assigned, 0) === partitions && ws.every((w) => w.assigned > 0 || ws.length > partitions));
    if (stable) return;
    if (Date.now() > deadline) {
      throw benchError('SEDA_BENCH_WORKER', `partitions were not assigned within ${timeoutMs} ms (${groups.map((ws) => ws.map((w) => `${w.name}: ${w.assigned}`).join(', ')).join('; ')})`);
    }
    await sleep(50);
  }
}

/**
 * Measures one pipeline: a fresh embedded broker in its own process, the
 * system's worker processes, the load generator and the observer in this
 * process. The measured window runs from the moment the system had consumed
 * the warm-up to the moment the last expected output was delivered.
 */
export async function measurePipeline(spec: PipelineSpec, options: HarnessOptions = {}): Promise<Measurement> {
  const total = spec.warmup + spec.messages;
  const notes: string[] = [];
  const errors: string[] = [];
  const step = options.onStep ?? (() => {});
  step('broker');
  const broker = await BenchBroker.start();
  const stateDirs: string[] = [];
  const groups: WorkerHandle[][] = [];
  let generator: LoadGenerator | undefined;
  let observer: Observer | undefined;
  let sampler: Sampler | undefined;
  const input = 'bench-in';
  const outputs = Array.from({ length: spec.groups }, (_, g) => `bench-out-${g}`);
  try {
    await broker.createTopic(input, spec.partitions);
    for (const o of outputs) await broker.createTopic(o, spec.partitions);
    if (spec.kind === 'seda-stage' && spec.stagePath !== undefined) {
      notes.push(...(await preloadTables(broker.bootstrap, broker, spec.stagePath, spec.partitions, spec.payload.kind === 'readings' ? spec.payload.spec.meters : 0)));
    }
    // Several members per group: short session timeout and heartbeats, or the
    // embedded broker holds the second member's join for a session timeout (45 s).
    const kafka = spec.instances > 1 ? { 'session.timeout.ms': 6000, 'heartbeat.interval.ms': 500, ...spec.kafka } : spec.kafka;
    if (spec.instances > 1) notes.push('several instances per group: session.timeout.ms=6000 and heartbeat.interval.ms=500, so members join in seconds');
    for (let g = 0; g < spec.groups; g++) {
      const ws: WorkerHandle[] = [];
      for (let i = 0; i < spec.instances; i++) {
        const stateDir = mkdtempSync(join(tmpdir(), 'seda-bench-state-'));
        stateDirs.push(stateDir);
        const name = `${spec.system}${spec.groups > 1 ? ` group ${g}` : ''}${spec.instances > 1 ? ` instance ${i}` : ''}`;
        ws.push(
          new WorkerHandle(
            name,
            { ...spec.worker, system: spec.kind, brokers: broker.bootstrap, input, output: outputs[g], group: `bench-group-${g}`, stagePath: spec.stagePath, stateDir, partitions: spec.partitions, kafka },
            options.workerExecArgv,
          ),
        );
      }
      groups.push(ws);
    }
    const workers = groups.flat();
    // Instances join one at a time: members joining a group at the same
    // instant leave the embedded broker waiting out a session timeout (45 s).
    for (let i = 0; i < spec.instances; i++) {
      step(`workers ${i}`);
      await Promise.all(groups.map((ws) => ws[i].start()));
      step(`assignment ${i}`);
      await waitAssigned(
        groups.map((ws) => ws.slice(0, i + 1)),
        spec.partitions,
        60_000,
      );
    }
    step('observer');

    observer = new Observer({ brokers: broker.bootstrap, topics: outputs, partitions: spec.partitions, kind: spec.output, expected: spec.expectedOutputs, warmup: spec.warmup });
    await observer.start();
    const consumedBy = (ws: WorkerHandle[]): number => ws.reduce((n, w) => n + w.count(), 0);
    const byInput = spec.output === 'windows' || spec.output === 'any';
    const progress = byInput ? () => Math.min(...groups.map(consumedBy)) : () => observer!.minDistinct();
    generator = new LoadGenerator({
      brokers: broker.bootstrap,
      topic: input,
      partitions: spec.partitions,
      payload: spec.payload,
      total,
      rate: spec.rate,
      maxLead: spec.preload ? total : spec.maxLead,
      progress,
    });
    await generator.connect();
    step('load');

    // Progress, stall and failure watch.
    let lastChange = Date.now();
    let lastKey = '';
    let stallError: Error | undefined;
    let lastDone = 0;
    let lastAt = nowMicros();
    const stallMs = options.stallMs ?? 30_000;
    const gen = generator;
    const obs = observer;
    sampler = new Sampler(broker, () => {
      const done = Math.min(...groups.map(consumedBy));
      const now = nowMicros();
      options.onProgress?.({ done: Math.min(done, total), total, perSecond: ((done - lastDone) * 1e6) / Math.max(1, now - lastAt) });
      lastDone = done;
      lastAt = now;
      const key = `${gen.produced}/${workers.map((w) => w.count()).join(',')}/${obs.progress.map((p) => p.distinct).join(',')}`;
      if (key !== lastKey) {
        lastKey = key;
        lastChange = Date.now();
      } else if (stallError === undefined && Date.now() - lastChange > stallMs) {
        stallError = benchError('SEDA_BENCH_STALLED', `no progress for ${stallMs / 1000} s: generator produced ${gen.produced}/${total}; consumed ${workers.map((w) => `${w.name}: ${w.count()}`).join(', ')}; outputs ${obs.progress.map((p) => `${p.topic}: ${p.distinct}/${spec.expectedOutputs}`).join(', ')}`);
      }
    });
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    let generatedAt = 0;
    const generated = generator.run().then(() => {
      generatedAt = nowMicros();
    });
    let settled = false;
    await new Promise<void>((resolve, reject) => {
      const check = setInterval(() => {
        const failed = workers.find((w) => w.failure !== undefined);
        const err = failed ? benchError('SEDA_BENCH_WORKER', failed.failure!) : stallError;
        if (err) {
          clearInterval(check);
          settled = true;
          reject(err);
        }
      }, 100);
      void (spec.output === 'any' ? whenQuiet(() => Math.min(...groups.map(consumedBy)) >= total, obs, () => settled) : obs.whenComplete()).then(() => {
        clearInterval(check);
        resolve();
      });
    }).catch(async (err: Error) => {
      // Say whether the broker's retention ate records a reader still needed.
      const inStart = await logStart(broker.bootstrap, input).catch(() => undefined);
      const outStarts = await Promise.all(outputs.map((o) => logStart(broker.bootstrap, o).catch(() => undefined)));
      const retention =
        (inStart?.low ?? 0) > 0 || outStarts.some((o) => (o?.low ?? 0) > 0)
          ? `; the broker's retention (~5 MiB per partition) deleted records: input log start ${inStart?.low}, output log starts ${outStarts.map((o) => o?.low).join(', ')} — if a reader was behind those offsets its records are lost: lower --messages or --size, or raise --partitions`
          : '';
      throw benchError((err as { code?: string }).code === 'SEDA_BENCH_STALLED' ? 'SEDA_BENCH_STALLED' : 'SEDA_BENCH_WORKER', `${err.message}${retention}`, { cause: err });
    });
    await generated;
    loopDelay.disable();
    const stalledMs = loopDelay.max / 1e6;
    if (stalledMs > 50) notes.push(`the bench process (load generator and observer) stalled up to ${Math.round(stalledMs)} ms once (event-loop delay p99 ${Math.round(loopDelay.percentile(99) / 1e6)} ms): latency tails include that`);
    let end = Math.max(...obs.progress.map((p) => p.completedAt ?? 0));
    if (spec.output === 'any') {
      // A user's stage: done when it had consumed every input and its last output arrived (it may emit none).
      const consumedAt = groups.map((ws) => timeAtCount(sumSeries(ws.map((w) => seriesOf(w.samples, (x) => x.count))), total) ?? nowMicros());
      end = Math.max(end, ...consumedAt);
    }
    await sleep(350); // samples past the end, to interpolate at it
    sampler.stop();

    const groupCounts = groups.map((ws) => sumSeries(ws.map((w) => seriesOf(w.samples, (s) => s.count))));
    const starts = groupCounts.map((c) => timeAtCount(c, spec.warmup)).filter((t): t is number => t !== undefined);
    const warmedUp = starts.length > 0 ? Math.min(...starts) : undefined;
    // Preloaded: from the end of the load (and of the warm-up), counting the messages consumed after it.
    const start = warmedUp === undefined ? undefined : spec.preload ? Math.max(warmedUp, generatedAt) : warmedUp;
    const consumedAtStart = start === undefined || !spec.preload ? spec.warmup : Math.min(...groupCounts.map((c) => interpolate(c, start) ?? spec.warmup));
    const measuredMessages = spec.preload ? total - consumedAtStart : spec.messages;
    if (spec.preload && measuredMessages < spec.messages / 10) errors.push(`preloaded input: the system had consumed ${Math.round(consumedAtStart)} of ${total} messages before the load was written, too few were left to measure: raise --messages`);
    if (spec.preload && start !== undefined) notes.push(`preloaded input: the measured window starts after the load was written (${Math.round(consumedAtStart)} of ${total} already consumed); ${Math.round(measuredMessages)} messages measured`);
    step('stop');
    const results: WorkerResult[] = await Promise.all(workers.map((w) => w.stop()));
    step('report');
    for (const r of results) {
      errors.push(...r.errors);
      notes.push(...r.notes);
    }
    errors.push(...generator.errors, ...obs.errors);

    let cpu = 0;
    for (const w of workers) {
      const series = seriesOf(w.samples, (s) => s.cpuMicros);
      cpu += (interpolate(series, end) ?? 0) - (interpolate(series, start ?? end) ?? 0);
    }
    const seconds = start === undefined ? undefined : (end - start) / 1e6;
    const msgsPerSec = start === undefined ? undefined : perSecond(measuredMessages, end - start);
    const sizeBytes = spec.payload.kind === 'stamped' ? spec.payload.size : spec.payload.kind === 'records' ? spec.payload.record(0).value.length : 40;
    const cores: CoreUse = start === undefined ? {} : { workers: cpu / (end - start), ...sampler.cores(start, end) };
    // Memory growth from the first measured records (after the warm-up) to the last.
    const growths = workers
      .map((w) => rssGrowth(w.samples, interpolate(seriesOf(w.samples, (s) => s.count), start ?? end) ?? 0, w.count()))
      .filter((g): g is number => g !== undefined);
    const peaks = results.map((r) => toMB(r.peakRss));

    const inStart = await logStart(broker.bootstrap, input);
    const outStarts = await Promise.all(outputs.map((o) => logStart(broker.bootstrap, o)));
    const missing = obs.progress.reduce((n, p) => n + Math.max(0, spec.expectedOutputs - p.distinct), 0);
    const retention: RetentionReport = { inputLogStart: inStart.low, outputLogStart: Math.max(...outStarts.map((o) => o.low)), lost: retentionLoss(missing, inStart.low) };
    if (retention.inputLogStart > 0 || retention.outputLogStart > 0) {
      notes.push(`the broker's retention deleted records after they were read (input log start ${retention.inputLogStart}, output ${retention.outputLogStart}); none were missed`);
    }
    if (spec.expectedWindows !== undefined) checkWindows(spec.expectedWindows, obs, errors);

    const rateFrom = start ?? end;
    return {
      system: spec.system,
      phase: spec.phase,
      messages: spec.messages,
      groups: spec.groups,
      instances: spec.instances,
      sizeBytes,
      seconds,
      msgsPerSec,
      mbPerSec: msgsPerSec === undefined ? undefined : (msgsPerSec * sizeBytes) / 1e6,
      latency: spec.output === 'stamped' ? summarizeLatency(obs.histogram) : undefined,
      peakRssMB: Math.max(...peaks),
      totalPeakRssMB: peaks.reduce((a, b) => a + b, 0),
      rssGrowthMB: growths.length > 0 ? toMB(Math.max(...growths)) : undefined,
      cpuSecPerM: start === undefined ? undefined : cpu / 1e6 / ((measuredMessages * spec.groups) / 1e6),
      cores,
      duplicates: obs.progress.reduce((n, p) => n + p.duplicates, 0),
      missing,
      outputs: spec.output === 'any' ? obs.progress.reduce((n, p) => n + p.distinct, 0) : undefined,
      maxLead: spec.rate > 0 ? undefined : generator.maxLeadSeen,
      retention,
      series: rateSeries(
        sumSeries(groupCounts).map(([t, v]) => [t, v / spec.groups] as [number, number]),
        rateFrom,
        end,
        bucketFor(end - rateFrom),
      ),
      rssSeries: rssSeriesOf(workers[peaks.indexOf(Math.max(...peaks))].samples, rateFrom, end),
      rssPer100k: spec.instances === 1 && spec.groups === 1 ? rssPerBlock(workers[0].samples, spec.warmup) : undefined,
      errors,
      notes,
    };
  } finally {
    step('teardown');
    sampler?.stop();
    generator?.stop();
    await generator?.close().catch(() => {});
    await observer?.close().catch(() => {});
    for (const w of groups.flat()) w.kill();
    await broker.stop().catch(() => {});
    for (const d of stateDirs) rmSync(d, { recursive: true, force: true });
  }
}

/** `any` outputs: resolves once `consumedAll()` holds and no output arrived for a second. */
async function whenQuiet(consumedAll: () => boolean, observer: Observer, cancelled: () => boolean): Promise<void> {
  let last = -1;
  let quietSince = Date.now();
  while (!cancelled()) {
    await sleep(100);
    const n = observer.progress.reduce((sum, p) => sum + p.distinct, 0);
    if (n !== last || !consumedAll()) {
      last = n;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= 1000) return;
  }
}

/** Missing outputs are retention loss when the input's log start moved past 0. */
function retentionLoss(missing: number, inputLogStart: number): number {
  return inputLogStart > 0 ? missing : 0;
}

function checkWindows(expected: ExpectedWindows, observer: Observer, errors: string[]): void {
  for (const p of observer.progress) {
    if (p.readings !== expected.readings) errors.push(`${p.topic}: windows hold ${p.readings} readings, expected ${expected.readings}`);
    if (Math.abs(p.kwh - expected.kwh) > 1e-3 * Math.max(1, expected.kwh)) errors.push(`${p.topic}: windows sum to ${p.kwh.toFixed(3)} kWh, expected ${expected.kwh.toFixed(3)}`);
  }
}
