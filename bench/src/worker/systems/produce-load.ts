import { createLatencyHistogram, encodeHistogram, recordMicros, type LatencyHistogram } from '../../histogram.js';
import { nowMicros, stamp, stampedTemplate } from '../../payload.js';
import type { ProducerReport, WorkerConfig } from '../protocol.js';
import { required, sleep } from './system.js';

/** What the produce driver needs from a producer under test. */
export interface ProducerUnderTest {
  /** Queues messages `first..first+count-1` (values made by `value(seq)`); resolves once all are queued (waiting out backpressure). */
  produce(first: number, count: number, value: (seq: number) => Buffer): Promise<void>;
}

/**
 * Drives a producer: a warm-up at full speed (waited out), then the measured
 * messages at full speed or at a fixed rate. Each value carries its produce
 * time (at a fixed rate: its scheduled time, so a stalled producer cannot
 * hide its own delay) and its sequence number; `acked(value)` records the
 * produce-to-acknowledgement latency of measured messages.
 */
export class ProduceDriver {
  readonly #config: WorkerConfig;
  readonly #template: Buffer;
  readonly #histogram: LatencyHistogram = createLatencyHistogram();
  readonly #warmup: number;
  readonly #total: number;
  readonly #partitions: number;
  #acked = 0;
  #measuredAcked = 0;
  #lastAck = 0;
  /** At a fixed rate: start of the measured window (µs) and rate; a message's stamp is its scheduled time. */
  #schedule: { start: number; rate: number } | undefined;

  constructor(config: WorkerConfig) {
    this.#config = config;
    this.#template = stampedTemplate(required(config, 'size'));
    this.#warmup = config.warmup ?? 0;
    this.#total = this.#warmup + required(config, 'messages');
    this.#partitions = required(config, 'partitions');
  }

  /** Messages acknowledged so far (warm-up included). */
  get acked(): number {
    return this.#acked;
  }

  /** The partition of message `seq`: round-robin. */
  partitionOf(seq: number): number {
    return seq % this.#partitions;
  }

  /** Records the acknowledgement of one message (its value as produced). */
  acknowledged(value: Buffer, now: number): void {
    this.#acked++;
    if (value.readUInt32LE(8) >= this.#warmup) {
      recordMicros(this.#histogram, now - value.readDoubleLE(0));
      this.#measuredAcked++;
      this.#lastAck = now;
    }
  }

  #value = (seq: number): Buffer => {
    const v = Buffer.allocUnsafe(this.#template.length);
    this.#template.copy(v);
    const s = this.#schedule;
    stamp(v, s !== undefined && seq >= this.#warmup ? s.start + ((seq - this.#warmup) * 1e6) / s.rate : nowMicros(), seq);
    return v;
  };

  async #waitAcked(n: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.#acked < n) {
      if (Date.now() > deadline) throw new Error(`only ${this.#acked} of ${n} messages were acknowledged within ${timeoutMs} ms`);
      await sleep(2);
    }
  }

  /** Runs the warm-up and the measured messages; `cpu()` reads the process CPU in µs. */
  async run(producer: ProducerUnderTest, cpu: () => number): Promise<ProducerReport> {
    for (let seq = 0; seq < this.#warmup; seq += 1000) {
      await producer.produce(seq, Math.min(1000, this.#warmup - seq), this.#value);
      await new Promise((r) => setImmediate(r));
    }
    await this.#waitAcked(this.#warmup, 60_000);
    const startCpu = cpu();
    const start = nowMicros();
    const rate = this.#config.rate ?? 0;
    if (rate <= 0) {
      for (let seq = this.#warmup; seq < this.#total; seq += 1000) {
        await producer.produce(seq, Math.min(1000, this.#total - seq), this.#value);
        await new Promise((r) => setImmediate(r));
      }
    } else {
      this.#schedule = { start, rate };
      let seq = this.#warmup;
      while (seq < this.#total) {
        // Everything due by now goes out in one call (one sink batch for seda).
        const due = Math.min(this.#total, this.#warmup + Math.floor(((nowMicros() - start) * rate) / 1e6) + 1);
        if (due > seq) await producer.produce(seq, due - seq, this.#value);
        seq = due;
        await sleep(1);
      }
    }
    await this.#waitAcked(this.#total, 120_000);
    return {
      acked: this.#measuredAcked,
      startMicros: start,
      endMicros: this.#lastAck,
      cpuMicros: cpu() - startCpu,
      histogram: encodeHistogram(this.#histogram),
    };
  }
}
