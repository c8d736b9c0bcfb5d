import Kafka from 'node-rdkafka';
import { connectClient, disconnectClient } from '@seda/kafka';
import { createLatencyHistogram, recordMicros, type LatencyHistogram } from '../histogram.js';
import { nowMicros } from '../payload.js';

/**
 * What the output records are: `stamped` values echoed (latency and sequence
 * from the head of the value), `readings` echoed (sequence from `"n":`), or
 * `windows` (hourly results `{start, count, sum}` keyed by meter), or `any`
 * (a user's stage: every output counted, none checked; `completedAt` is the
 * last output's arrival, and the harness decides when the run is over).
 */
export type OutputKind = 'stamped' | 'readings' | 'windows' | 'any';

/** Options of {@link Observer}. */
export interface ObserverOptions {
  brokers: string;
  /** One output topic per group; each must deliver `expected` distinct records. */
  topics: string[];
  partitions: number;
  kind: OutputKind;
  /** Distinct records each topic must deliver (input messages, or windows). */
  expected: number;
  /** Input sequence numbers below this are warm-up: their latency is not recorded. */
  warmup: number;
}

/** What one output topic delivered. */
export interface TopicProgress {
  topic: string;
  /** Distinct records (by sequence number, or by meter and window). */
  distinct: number;
  duplicates: number;
  /** When the last expected record arrived (µs), or undefined. */
  completedAt?: number;
  /** windows: readings and kWh summed over distinct windows. */
  readings: number;
  kwh: number;
}

const SEQ_FIELD = /"n":(\d+)/;

/**
 * Reads the outputs of a run with a raw node-rdkafka consumer (no group: it
 * assigns every partition from the beginning), counts distinct and duplicate
 * records per topic, and records end-to-end latency (now minus the stamp the
 * generator wrote) of every measured record in one HDR histogram. The same
 * instrument reads every system's output.
 */
export class Observer {
  readonly #o: ObserverOptions;
  readonly #consumer: Kafka.KafkaConsumer;
  readonly histogram: LatencyHistogram = createLatencyHistogram();
  readonly progress: TopicProgress[];
  readonly #seen: Uint8Array[];
  readonly #windows: Array<Set<string>>;
  readonly #topicIndex = new Map<string, number>();
  #running = false;
  #idle = true;
  #loop: Promise<void> | undefined;
  #completeWaiters: Array<() => void> = [];
  readonly errors: string[] = [];

  constructor(options: ObserverOptions) {
    this.#o = options;
    this.progress = options.topics.map((topic) => ({ topic, distinct: 0, duplicates: 0, readings: 0, kwh: 0 }));
    options.topics.forEach((t, i) => this.#topicIndex.set(t, i));
    const bitmapSize = options.kind === 'windows' || options.kind === 'any' ? 0 : options.expected;
    this.#seen = options.topics.map(() => new Uint8Array(bitmapSize));
    this.#windows = options.topics.map(() => new Set<string>());
    this.#consumer = new Kafka.KafkaConsumer(
      {
        'bootstrap.servers': options.brokers,
        'group.id': `seda-bench-observer-${process.pid}-${Date.now()}`,
        'enable.auto.commit': false,
        // The embedded broker holds an empty fetch for the whole wait: keep the instrument's own delay small.
        'fetch.wait.max.ms': 5,
        'queued.max.messages.kbytes': 65536,
      },
      { 'auto.offset.reset': 'earliest' },
    );
  }

  /** The slowest topic's distinct records. */
  minDistinct(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const p of this.progress) if (p.distinct < min) min = p.distinct;
    return min;
  }

  isComplete(): boolean {
    return this.progress.every((p) => p.distinct >= this.#o.expected);
  }

  /** Resolves once every topic delivered its expected records. */
  whenComplete(): Promise<void> {
    if (this.isComplete()) return Promise.resolve();
    return new Promise((resolve) => this.#completeWaiters.push(resolve));
  }

  async start(): Promise<void> {
    await connectClient(this.#consumer, 15_000);
    this.#consumer.assign(this.#o.topics.flatMap((topic) => Array.from({ length: this.#o.partitions }, (_, partition) => ({ topic, partition, offset: 0 }))));
    this.#running = true;
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    while (this.#running) {
      this.#consumer.setDefaultConsumeTimeout(this.#idle ? 20 : 0);
      const messages = await new Promise<Kafka.Message[]>((resolve) =>
        this.#consumer.consume(this.#idle ? 1 : 10_000, (err, msgs) => {
          if (err) {
            this.errors.push(`observer: consume failed: ${err.message}`);
            resolve([]);
          } else resolve(msgs);
        }),
      );
      this.#idle = messages.length === 0;
      if (messages.length > 0) this.#take(messages, nowMicros());
      else await new Promise((r) => setImmediate(r));
    }
  }

  #take(messages: Kafka.Message[], now: number): void {
    const { kind, warmup, expected } = this.#o;
    for (const m of messages) {
      const ti = this.#topicIndex.get(m.topic);
      if (ti === undefined || m.value == null) continue;
      const p = this.progress[ti];
      if (kind === 'any') {
        p.distinct++;
        p.completedAt = now;
        continue;
      }
      if (kind === 'windows') {
        const w = JSON.parse(m.value.toString()) as { start: number; count: number; sum: number };
        const id = `${m.key?.toString()}:${w.start}`;
        const seen = this.#windows[ti];
        if (seen.has(id)) p.duplicates++;
        else {
          seen.add(id);
          p.distinct++;
          p.readings += w.count;
          p.kwh += w.sum;
        }
      } else {
        let seq: number;
        if (kind === 'stamped') seq = m.value.length >= 12 ? m.value.readUInt32LE(8) : -1;
        else {
          const match = SEQ_FIELD.exec(m.value.toString('latin1'));
          seq = match === null ? -1 : Number(match[1]);
        }
        const seen = this.#seen[ti];
        if (seq < 0 || seq >= seen.length) {
          this.errors.push(`observer: ${m.topic} delivered a record that is not one of this run's (${m.value.length} bytes)`);
          continue;
        }
        if (seen[seq] === 1) {
          p.duplicates++;
          continue;
        }
        seen[seq] = 1;
        p.distinct++;
        if (kind === 'stamped' && seq >= warmup) recordMicros(this.histogram, now - m.value.readDoubleLE(0));
      }
      if (p.completedAt === undefined && p.distinct >= expected) p.completedAt = now;
    }
    if (this.#completeWaiters.length > 0 && this.isComplete()) {
      const waiters = this.#completeWaiters;
      this.#completeWaiters = [];
      for (const w of waiters) w();
    }
  }

  async close(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await disconnectClient(this.#consumer, { timeoutMs: 10_000 });
  }
}
