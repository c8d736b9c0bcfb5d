import Kafka from 'node-rdkafka';
import { connectClient, disconnectClient } from '@seda/kafka';
import { meterKey, nowMicros, reading, readingValue, stamp, stampedTemplate, type ReadingsSpec } from '../payload.js';

const ERR_QUEUE_FULL = Kafka.CODES.ERRORS.ERR__QUEUE_FULL;

/** One input record of a `records` payload. */
export interface LoadRecord {
  key: Buffer | null;
  value: Buffer;
}

/**
 * What the generator writes: stamped values of a size, meter readings, or
 * `records` made by a function of the sequence number (a user's sample file
 * or generator module: `seda bench --stage`); keyed records go to the
 * partition of a hash of their key, so a key's records stay in order.
 */
export type LoadPayload = { kind: 'stamped'; size: number } | { kind: 'readings'; spec: ReadingsSpec } | { kind: 'records'; record(seq: number): LoadRecord };

/** FNV-1a of a key: the partition of a `records` payload's keyed record. */
export function keyPartition(key: Buffer, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key[i], 0x01000193);
  return (h >>> 0) % partitions;
}

/** Options of {@link LoadGenerator}. */
export interface GeneratorOptions {
  brokers: string;
  topic: string;
  partitions: number;
  payload: LoadPayload;
  /** Messages in all, warm-up included. */
  total: number;
  /** Messages per second; 0: full speed, never more than `maxLead` ahead of `progress()`. */
  rate: number;
  /** Full speed: the most messages produced and not yet through the system. */
  maxLead: number;
  /** Messages through the system so far (the slowest group). */
  progress(): number;
}

/**
 * The load generator: a raw node-rdkafka producer (the same for every system
 * measured) writing `total` messages round-robin over the input partitions.
 *
 * At full speed it stays at most `maxLead` messages ahead of the system, so
 * the system is never starved and the embedded broker's ~5 MiB per partition
 * retention never drops unread input. At a fixed rate it is open loop: each
 * value is stamped with its scheduled send time, so a system that falls
 * behind shows it in its latency instead of slowing the load.
 */
export class LoadGenerator {
  readonly #o: GeneratorOptions;
  readonly #producer: Kafka.Producer;
  readonly #template: Buffer | undefined;
  #produced = 0;
  #maxLeadSeen = 0;
  #stopped = false;
  readonly errors: string[] = [];

  constructor(options: GeneratorOptions) {
    this.#o = options;
    this.#template = options.payload.kind === 'stamped' ? stampedTemplate(options.payload.size) : undefined;
    // No delivery reports: the observer sees every message that arrived, and a
    // JS callback per message would take CPU from the system under test.
    this.#producer = new Kafka.Producer({
      'bootstrap.servers': options.brokers,
      dr_cb: false,
      // 5 ms batches even at a fixed rate: the embedded broker finds a fetch's
      // offset by walking the log's message sets one by one, so a log of tiny
      // sets makes every fetch slower as the run goes on.
      'linger.ms': 5,
      'batch.num.messages': 10_000,
      'queue.buffering.max.messages': 1_000_000,
      'enable.idempotence': false,
    });
    this.#producer.on('event.error', (err: Kafka.LibrdKafkaError) => void this.errors.push(`load generator: ${err.message}`));
  }

  /** Messages produced so far. */
  get produced(): number {
    return this.#produced;
  }

  /** The largest lead over `progress()` seen (messages). */
  get maxLeadSeen(): number {
    return this.#maxLeadSeen;
  }

  async connect(): Promise<void> {
    await connectClient(this.#producer, 15_000);
    this.#producer.setPollInterval(5);
  }

  /** Produces one message; false when librdkafka's queue is full. */
  #produceOne(seq: number, stampMicros: number): boolean {
    const p = this.#o.payload;
    try {
      if (p.kind === 'stamped') {
        const v = this.#template!;
        stamp(v, stampMicros, seq);
        this.#producer.produce(this.#o.topic, seq % this.#o.partitions, v, null);
      } else if (p.kind === 'records') {
        const r = p.record(seq);
        this.#producer.produce(this.#o.topic, r.key === null ? seq % this.#o.partitions : keyPartition(r.key, this.#o.partitions), r.value, r.key);
      } else {
        const r = reading(p.spec, seq);
        this.#producer.produce(this.#o.topic, r.partition, readingValue(r.kwh, r.ts, seq), Buffer.from(meterKey(r.meter)));
      }
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === ERR_QUEUE_FULL) return false;
      throw err;
    }
  }

  /** Produces every message; resolves once all are queued (or `stop()` was called). */
  async run(): Promise<void> {
    const { total, rate } = this.#o;
    const start = nowMicros();
    let refilling = true;
    while (this.#produced < total && !this.#stopped) {
      const lead = this.#produced - this.#o.progress();
      if (lead > this.#maxLeadSeen) this.#maxLeadSeen = lead;
      let until: number;
      if (rate > 0) until = Math.min(total, Math.floor(((nowMicros() - start) * rate) / 1e6) + 1);
      else {
        // Refill in large steps (from half the lead up to all of it): a trickle
        // of tiny produce batches would fill the broker's log with tiny message
        // sets, which it scans one by one on every fetch.
        if (!refilling && lead <= this.#o.maxLead / 2) refilling = true;
        until = refilling ? Math.min(total, this.#produced + this.#o.maxLead - lead, this.#produced + 5000) : this.#produced;
        if (this.#produced + this.#o.maxLead - lead <= until) refilling = false;
      }
      while (this.#produced < until) {
        const seq = this.#produced;
        const at = rate > 0 ? start + (seq * 1e6) / rate : nowMicros();
        if (!this.#produceOne(seq, at)) break;
        this.#produced++;
      }
      if (this.#produced < until) await sleep(1); // queue full
      else if (rate > 0 || !refilling) await sleep(1);
      else await new Promise((r) => setImmediate(r));
    }
  }

  /** Stops producing (the run resolves). */
  stop(): void {
    this.#stopped = true;
  }

  async close(): Promise<void> {
    this.#stopped = true;
    await new Promise<void>((resolve) => this.#producer.flush(10_000, () => resolve()));
    await disconnectClient(this.#producer, { timeoutMs: 15_000, flushMs: 10_000 });
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
