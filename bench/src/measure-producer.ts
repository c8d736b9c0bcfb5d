import { BenchBroker } from './broker/bench-broker.js';
import { benchError } from './errors.js';
import { bucketFor, logStart, sleep, type HarnessOptions } from './harness.js';
import { decodeHistogram, summarizeLatency } from './histogram.js';
import { rateSeries, rssGrowth, rssSeriesOf, seriesOf, toMB, type Measurement, type Phase } from './measurement.js';
import { nowMicros } from './payload.js';
import { Sampler } from './sampler.js';
import { perSecond } from './stats.js';
import { WorkerHandle } from './worker-handle.js';
import type { ProducerReport, SystemKind } from './worker/protocol.js';

/** A producer to measure. */
export interface ProducerSpec {
  system: string;
  kind: SystemKind;
  phase: Phase;
  partitions: number;
  messages: number;
  warmup: number;
  size: number;
  rate: number;
  kafka?: { [key: string]: string | number | boolean };
}

/**
 * Measures one producer: a worker produces the warm-up, then the measured
 * messages, and reports its produce-to-acknowledgement latencies and window;
 * the harness checks the topic holds exactly every message.
 */
export async function measureProducer(spec: ProducerSpec, options: HarnessOptions = {}): Promise<Measurement> {
  const total = spec.warmup + spec.messages;
  const step = options.onStep ?? (() => {});
  step('broker');
  const broker = await BenchBroker.start();
  let worker: WorkerHandle | undefined;
  let sampler: Sampler | undefined;
  const errors: string[] = [];
  const notes: string[] = [];
  const topic = 'bench-out';
  try {
    await broker.createTopic(topic, spec.partitions);
    worker = new WorkerHandle(
      spec.system,
      { system: spec.kind, brokers: broker.bootstrap, output: topic, messages: spec.messages, warmup: spec.warmup, size: spec.size, partitions: spec.partitions, rate: spec.rate, kafka: spec.kafka },
      options.workerExecArgv,
    );
    step('worker');
    await worker.start();
    step('load');
    let lastDone = 0;
    let lastAt = nowMicros();
    let lastChange = Date.now();
    const w = worker;
    sampler = new Sampler(broker, () => {
      const done = w.count();
      const now = nowMicros();
      options.onProgress?.({ done, total, perSecond: ((done - lastDone) * 1e6) / Math.max(1, now - lastAt) });
      if (done !== lastDone) lastChange = Date.now();
      lastDone = done;
      lastAt = now;
    });
    w.child.send({ type: 'go' });
    const stallMs = options.stallMs ?? 30_000;
    const report = await new Promise<ProducerReport>((resolve, reject) => {
      const check = setInterval(() => {
        if (w.failure !== undefined) reject(benchError('SEDA_BENCH_WORKER', w.failure));
        else if (Date.now() - lastChange > stallMs) reject(benchError('SEDA_BENCH_STALLED', `${spec.system}: no acknowledgement for ${stallMs / 1000} s (${w.count()}/${total})`));
      }, 100);
      w.child
        .waitFor((m) => m.type === 'produced', 24 * 3600_000, 'the measured messages')
        .then((m) => resolve((m as unknown as { report: ProducerReport }).report), reject)
        .finally(() => clearInterval(check));
    });
    await sleep(350);
    sampler.stop();
    step('stop');
    const result = await w.stop();
    step('report');
    errors.push(...result.errors);
    notes.push(...result.notes);
    const span = report.endMicros - report.startMicros;
    const msgsPerSec = perSecond(report.acked, span);
    const written = await logStart(broker.bootstrap, topic);
    const duplicates = Math.max(0, written.high - total);
    const missing = Math.max(0, total - written.high);
    if (written.low > 0) notes.push(`the broker's retention deleted the oldest records (log start ${written.low}); counts come from high watermarks`);
    const counts = seriesOf(w.samples, (s) => s.count);
    const growth = rssGrowth(w.samples, spec.warmup, w.count());
    return {
      system: spec.system,
      phase: spec.phase,
      messages: spec.messages,
      groups: 1,
      instances: 1,
      sizeBytes: spec.size,
      seconds: span / 1e6,
      msgsPerSec,
      mbPerSec: msgsPerSec === undefined ? undefined : (msgsPerSec * spec.size) / 1e6,
      latency: summarizeLatency(decodeHistogram(report.histogram)),
      peakRssMB: toMB(result.peakRss),
      totalPeakRssMB: toMB(result.peakRss),
      rssGrowthMB: growth === undefined ? undefined : toMB(growth),
      cpuSecPerM: report.cpuMicros / 1e6 / (report.acked / 1e6),
      cores: { workers: report.cpuMicros / span, ...sampler.cores(report.startMicros, report.endMicros) },
      duplicates,
      missing,
      retention: { inputLogStart: 0, outputLogStart: written.low, lost: 0 },
      series: rateSeries(counts, report.startMicros, report.endMicros, bucketFor(report.endMicros - report.startMicros)),
      rssSeries: rssSeriesOf(w.samples, report.startMicros, report.endMicros),
      errors,
      notes,
    };
  } finally {
    step('teardown');
    sampler?.stop();
    worker?.kill();
    await broker.stop().catch(() => {});
  }
}
