import { once } from 'node:events';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OutgoingMessage } from '@seda/core';
import { groupLag, KafkaSink } from '@seda/kafka';
import { BenchBroker } from '../broker/bench-broker.js';
import { Child, type Message } from '../child.js';
import { commitInfo, machineInfo } from '../machine.js';
import { benchDir } from '../options.js';
import { writeJson } from '../report/results-file.js';
import { flatness, type FlatVerdict, type SoakSample } from './flatness.js';
import { soakChart } from './soak-chart.js';

/** Options of {@link runSoak}. */
export interface SoakOptions {
  /** How long the input flows, ms. */
  durationMs: number;
  /** Sampling interval, ms. Default 10 s. */
  sampleEveryMs?: number;
  /** Input records per second. Default 1000. */
  rate?: number;
  /** How long each simulated external write of the slow sink takes, ms. Default 2. */
  writeMs?: number;
  partitions?: number;
  /** Where results/soak.json, results/soak.svg and RESULTS.md go. Default: the bench package. */
  out?: string;
  /** Write the results (default true). */
  save?: boolean;
  /** Told every sample as it is taken. */
  onSample?: (s: SoakSample) => void;
}

/** What a soak found. */
export interface SoakResult {
  date: string;
  machine: ReturnType<typeof machineInfo>;
  commit: ReturnType<typeof commitInfo>;
  options: { durationSeconds: number; sampleEverySeconds: number; rate: number; writeMs: number; partitions: number };
  samples: SoakSample[];
  verdicts: FlatVerdict[];
  /** Records produced, and taken in by the stage by the end. */
  produced: number;
  recordsIn: number;
  /** Machine load average (1 min) at the start and the end: a loaded machine is said so. */
  load: [number, number];
  errors: string[];
}

const stageScript = fileURLToPath(new URL('./stage-main.js', import.meta.url));
const slowSink = join(benchDir, 'dist', 'scenarios', 'stages', 'slow-sink.js');

/**
 * A soak: steady input into a deliberately slow sink stage (each record a
 * simulated external write of `writeMs`) for `durationMs`, sampling the
 * stage's RSS, event-loop delay and the group's consumer lag every
 * `sampleEveryMs`; the verdict says whether each stayed flat ({@link flatness}).
 */
export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const every = o.sampleEveryMs ?? 10_000;
  const rate = o.rate ?? 1000;
  const writeMs = o.writeMs ?? 2;
  const partitions = o.partitions ?? 4;
  const errors: string[] = [];
  const loadAtStart = os.loadavg()[0];
  const commit = commitInfo(benchDir); // the code that runs: later commits during a long soak are not it
  const broker = await BenchBroker.start();
  const stage = new Child('soak stage', stageScript, [], { env: { SEDA_SOAK_WRITE_MS: String(writeMs) } });
  const sink = new KafkaSink({ brokers: broker.bootstrap });
  sink.on('error', (err: Error) => errors.push(`input producer: ${err.message}`));
  const samples: SoakSample[] = [];
  let produced = 0;
  try {
    const input = 'soak-in';
    const output = 'soak-out';
    await broker.createTopic(input, partitions);
    await broker.createTopic(output, partitions);
    await broker.createTopic(`${output}.dlq`, 1);
    const group = 'soak';
    stage.onMessage((m: Message) => {
      if (m.type === 'error' && m.id === undefined) errors.push(String(m.message));
    });
    stage.send({ type: 'start', stagePath: slowSink, brokers: broker.bootstrap, group, input, output });
    await stage.waitFor((m) => m.type === 'started', 60_000, 'the stage to start');
    await sink.connect();

    const t0 = Date.now();
    let ids = 0;
    const sample = async (): Promise<void> => {
      const id = ++ids;
      stage.send({ type: 'sample', id });
      const [m, lag] = await Promise.all([
        stage.waitFor((x) => x.type === 'sample' && x.id === id, 10_000, 'a sample'),
        groupLag(broker.bootstrap, group, [input]).catch(() => undefined),
      ]);
      const s: SoakSample = {
        t: Math.round((Date.now() - t0) / 1000),
        rssMB: Number(m.rss) / 1024 / 1024,
        loopP99Ms: Number(m.loopP99Ms),
        loopMaxMs: Number(m.loopMaxMs),
        lag: lag === undefined ? NaN : lag.reduce((n, p) => n + Math.max(0, p.lag), 0),
        recordsIn: Number(m.recordsIn),
      };
      samples.push(s);
      o.onSample?.(s);
    };
    // Steady input: rate/10 records every 100 ms, keyed over 1,000 keys, 100-byte values.
    const value = Buffer.alloc(100, 'x');
    let nextSample = t0 + every;
    for (let tick = 1; Date.now() - t0 < o.durationMs && errors.length === 0; tick++) {
      const due = Math.round((tick * rate) / 10) - produced;
      const messages: OutgoingMessage[] = [];
      for (let i = 0; i < due; i++, produced++) messages.push({ topic: input, key: Buffer.from(`k${produced % 1000}`), value });
      if (!sink.write({ topic: input, partition: 0, nextOffset: produced, inputCount: messages.length, messages, deadLetters: 0 })) await once(sink, 'drain');
      if (Date.now() >= nextSample) {
        nextSample += every;
        await sample().catch((err: Error) => errors.push(`sample: ${err.message}`));
      }
      const wait = t0 + (tick + 1) * 100 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await sink.flush(60_000);
    stage.send({ type: 'stop' });
    const stopped = await stage.waitFor((m) => m.type === 'stopped', 60_000, 'the stage to stop');
    if (Number(stopped.deadLetters) > 0) errors.push(`${String(stopped.deadLetters)} records went to the dead-letter topic`);
  } finally {
    await sink.close(10_000).catch(() => {});
    stage.kill();
    await broker.stop().catch(() => {});
  }
  const result: SoakResult = {
    date: new Date().toISOString(),
    machine: machineInfo(),
    commit,
    options: { durationSeconds: o.durationMs / 1000, sampleEverySeconds: every / 1000, rate, writeMs, partitions },
    samples,
    verdicts: flatness(samples),
    produced,
    recordsIn: samples.at(-1)?.recordsIn ?? 0,
    load: [loadAtStart, os.loadavg()[0]],
    errors,
  };
  if (o.save !== false) saveSoak(o.out ?? benchDir, result);
  return result;
}

/** The lines printed and written for a soak: the verdict on each figure. */
export function soakLines(r: SoakResult): string[] {
  const name = { rssMB: 'RSS (MB)', loopP99Ms: 'event-loop delay p99 (ms)', lag: 'consumer lag (records)' } as { [k: string]: string };
  return [
    `${r.options.durationSeconds} s of ${r.options.rate} records/s into a slow sink (${r.options.writeMs} ms a record, ${r.options.partitions} partitions), sampled every ${r.options.sampleEverySeconds} s: ${r.samples.length} samples, ${r.produced} records produced.`,
    `Load average ${r.load[0].toFixed(2)} at the start, ${r.load[1].toFixed(2)} at the end (${r.machine.cores} cores).`,
    ...r.verdicts.map((v) => `${name[v.figure] ?? v.figure}: ${v.flat ? 'flat' : 'NOT FLAT'}: ${v.detail}`),
    ...r.errors.map((e) => `error: ${e}`),
  ];
}

function saveSoak(out: string, r: SoakResult): void {
  const json = join(out, 'results', 'soak.json');
  writeJson(json, r);
  const chart = join(out, 'results', 'soak.svg');
  writeFileSync(chart, soakChart(r));
  const file = join(out, 'RESULTS.md');
  mkdirSync(out, { recursive: true });
  if (!existsSync(file)) writeFileSync(file, '# Bench results\n');
  const head = `## ${r.date.slice(0, 16).replace('T', ' ')} UTC: soak, commit ${r.commit.commit}${r.commit.dirty ? ' (uncommitted changes)' : ''}`;
  const m = r.machine;
  appendFileSync(file, `\n${[head, '', `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}.`, '', ...soakLines(r).map((l) => `- ${l}`), '', '![soak](results/soak.svg)'].join('\n')}\n`);
}
