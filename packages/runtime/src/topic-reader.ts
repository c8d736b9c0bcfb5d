import Kafka from 'node-rdkafka';
import { SedaError } from '@seda/core';
import { connectClient, disconnectClient, splitKafkaProperties, type KafkaProperties } from '@seda/kafka';

/** A record read by {@link TopicReader}. */
export interface ReadMessage {
  topic: string;
  partition: number;
  offset: number;
  /** Broker timestamp, ms since the epoch. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ [key: string]: Buffer | string }>;
}

const wrap = (what: string, brokers: string, err: unknown): SedaError =>
  new SedaError('SEDA_RUNTIME_READ', `${what} on ${brokers} failed: ${(err as Error).message}; check --brokers and that the broker is running`, { cause: err, canRetry: true });

/**
 * One long-lived consumer that never joins a group or commits: metadata,
 * watermarks and reads of offset ranges, one read at a time (a read takes
 * the consumer's assignment). For dead-letter lists, announcements and the
 * timestamps behind lag in seconds.
 */
export class TopicReader {
  readonly #brokers: string;
  readonly #kafka: KafkaProperties | undefined;
  #consumer: Promise<Kafka.KafkaConsumer> | undefined;
  #turn: Promise<unknown> = Promise.resolve();

  constructor(brokers: string, kafka?: KafkaProperties) {
    this.#brokers = brokers;
    this.#kafka = kafka;
  }

  #connect(): Promise<Kafka.KafkaConsumer> {
    this.#consumer ??= (async () => {
      const { global, topic } = splitKafkaProperties(this.#kafka, 'consumer');
      delete global['statistics.interval.ms'];
      const c = new Kafka.KafkaConsumer(
        { 'bootstrap.servers': this.#brokers, 'group.id': `seda-reader-${process.pid}`, 'enable.auto.commit': false, 'allow.auto.create.topics': false, ...global },
        { ...topic, 'auto.offset.reset': 'earliest' },
      );
      await connectClient(c, 10_000, (err) => wrap('connecting', this.#brokers, err));
      c.setDefaultConsumeTimeout(500);
      return c;
    })();
    this.#consumer.catch(() => (this.#consumer = undefined));
    return this.#consumer;
  }

  /** Runs `fn` when the reads before it are done. */
  #serial<T>(fn: (c: Kafka.KafkaConsumer) => Promise<T>): Promise<T> {
    const next = this.#turn.then(async () => fn(await this.#connect()));
    this.#turn = next.catch(() => {});
    return next;
  }

  /** Partition counts of every topic (names starting with `__` left out). */
  topics(): Promise<Map<string, number>> {
    return this.#serial(
      (c) =>
        new Promise((resolve, reject) =>
          c.getMetadata({ allTopics: true, timeout: 10_000 }, (err, md) =>
            err ? reject(wrap('reading metadata', this.#brokers, err)) : resolve(new Map(md.topics.filter((t) => !t.name.startsWith('__') && t.partitions.length > 0).map((t) => [t.name, t.partitions.length]))),
          ),
        ),
    );
  }

  /** Low and high watermarks of a partition. */
  watermarks(topic: string, partition: number): Promise<{ low: number; high: number }> {
    return this.#serial(
      (c) =>
        new Promise((resolve, reject) =>
          c.queryWatermarkOffsets(topic, partition, 10_000, (err, o) => (err ? reject(wrap(`reading watermarks of ${topic}/${partition}`, this.#brokers, err)) : resolve({ low: o.lowOffset, high: o.highOffset }))),
        ),
    );
  }

  /**
   * Reads `[from, to)` of a partition (at most `max` records); bounded: gives
   * up with `SEDA_RUNTIME_READ` when the range does not arrive within `timeoutMs`.
   */
  read(topic: string, partition: number, from: number, to: number, options: { max?: number; timeoutMs?: number } = {}): Promise<ReadMessage[]> {
    const end = Math.min(to, from + (options.max ?? Number.MAX_SAFE_INTEGER));
    if (from >= end) return Promise.resolve([]);
    return this.#serial(async (c) => {
      const out: ReadMessage[] = [];
      c.assign([{ topic, partition, offset: from }]);
      const deadline = Date.now() + (options.timeoutMs ?? 10_000);
      let next = from;
      try {
        while (next < end) {
          if (Date.now() > deadline) throw new SedaError('SEDA_RUNTIME_READ', `reading ${topic}/${partition} from offset ${next} (up to ${end}) timed out`, { canRetry: true });
          // Never ask for more than the range holds: consume(n) waits (per message) for the n-th.
          const batch = await new Promise<Kafka.Message[]>((resolve, reject) => c.consume(Math.min(500, end - next), (err, m) => (err ? reject(err) : resolve(m ?? []))));
          for (const m of batch) {
            if (m.topic !== topic || m.partition !== partition || m.offset < next || m.offset >= end) continue;
            out.push({
              topic,
              partition,
              offset: m.offset,
              timestamp: m.timestamp ?? 0,
              key: m.key === undefined || m.key === null ? null : Buffer.from(m.key as Buffer),
              value: m.value ?? null,
              headers: (m.headers ?? []) as ReadMessage['headers'],
            });
            next = m.offset + 1;
          }
          // Compaction leaves gaps: stop where the log ends.
          if (batch.length === 0) {
            const { high } = await new Promise<{ high: number }>((resolve, reject) =>
              c.queryWatermarkOffsets(topic, partition, 10_000, (err, o) => (err ? reject(wrap(`reading watermarks of ${topic}/${partition}`, this.#brokers, err)) : resolve({ high: o.highOffset }))),
            );
            if (next >= high) break;
          }
        }
      } finally {
        c.unassign();
      }
      return out;
    });
  }

  /** Disconnects, bounded. */
  async close(): Promise<void> {
    await this.#turn;
    const c = await this.#consumer?.catch(() => undefined);
    this.#consumer = undefined;
    if (c !== undefined) await disconnectClient(c);
  }
}

/** A header's value as a string (the last one of that name), if present. */
export function headerValue(headers: ReadMessage['headers'], name: string): string | undefined {
  let value: string | undefined;
  for (const h of headers) {
    const v = h[name];
    if (v !== undefined) value = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  }
  return value;
}
