import Kafka from 'node-rdkafka';
import { SedaError, type Logger } from '@seda/core';
import { connectClient, disconnectClient, splitKafkaProperties, type KafkaProperties, type TopicPartitionOffset } from '@seda/kafka';
import { TopicReader } from './topic-reader.js';

/** Options of {@link TableConsumer}. */
export interface TableConsumerOptions {
  brokers: string;
  kafka?: KafkaProperties;
  /** Names the client (`<group>-tables`); it never joins a group or commits. */
  clientId: string;
  log: Logger;
  /** Each fetched record, in offset order per partition. */
  onRecord(message: Kafka.Message): void;
}

const wrap = (what: string, err: unknown): SedaError =>
  new SedaError('SEDA_RUNTIME_TABLE_READ', `${what} failed: ${(err as Error).message}; check --brokers and that the table topic exists`, { cause: err, canRetry: true });

/**
 * The consumer of a stage instance's table topics: assigned (never
 * subscribed) the partitions the instance needs, at the positions it gives,
 * fetching in a loop and handing every record to `onRecord`.
 */
export class TableConsumer {
  readonly #o: TableConsumerOptions;
  readonly #consumer: Kafka.KafkaConsumer;
  /**
   * Watermarks come from a client of their own: asked on the fetching
   * consumer, a query waits behind its long-poll fetch (fetch.wait.max.ms).
   */
  readonly #watermarks: TopicReader;
  #closed = false;
  #loop: Promise<void> = Promise.resolve();
  #arrivals = new Set<() => void>();

  constructor(options: TableConsumerOptions) {
    this.#o = options;
    const { global, topic } = splitKafkaProperties(options.kafka, 'consumer');
    delete global['statistics.interval.ms'];
    delete global['group.instance.id'];
    this.#consumer = new Kafka.KafkaConsumer(
      { 'bootstrap.servers': options.brokers, 'group.id': options.clientId, 'client.id': options.clientId, 'enable.auto.commit': false, 'allow.auto.create.topics': false, ...global },
      { ...topic, 'auto.offset.reset': 'earliest' },
    );
    this.#watermarks = new TopicReader(options.brokers, options.kafka);
  }

  /** Connects and starts fetching. */
  async connect(): Promise<void> {
    await connectClient(this.#consumer, 10_000, (err) => wrap('connecting the table consumer', err));
    this.#consumer.setDefaultConsumeTimeout(100);
    this.#loop = this.#fetch();
  }

  async #fetch(): Promise<void> {
    while (!this.#closed) {
      let failed = false;
      const batch = await new Promise<Kafka.Message[]>((resolve) =>
        this.#consumer.consume(500, (err, m) => {
          // Fetch errors are retried by librdkafka; a partition error is logged and fetching goes on.
          if (err && !this.#closed) {
            this.#o.log.warn({ err: err.message }, 'table consumer: fetch error; retrying');
            failed = true;
          }
          resolve(m ?? []);
        }),
      );
      if (failed) await new Promise((r) => setTimeout(r, 500));
      for (const m of batch) this.#o.onRecord(m);
      if (batch.length > 0 || this.#arrivals.size > 0) {
        const waiting = [...this.#arrivals];
        this.#arrivals.clear();
        for (const w of waiting) w();
      }
    }
  }

  /** Replaces the assignment: these partitions, fetched from these offsets. */
  assign(partitions: TopicPartitionOffset[]): void {
    if (this.#closed) return;
    this.#consumer.assign(partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.offset })));
  }

  /** Resolves after the next fetch round (records or not). */
  nextFetch(): Promise<void> {
    return new Promise((resolve) => this.#arrivals.add(resolve));
  }

  /** The partition's low and high watermarks, asked of the broker now (not cached values). */
  async watermarks(topic: string, partition: number): Promise<{ low: number; high: number }> {
    try {
      return await this.#watermarks.watermarks(topic, partition);
    } catch (err) {
      throw wrap(`reading the watermarks of table topic ${topic}/${partition}`, err);
    }
  }

  /** Stops fetching and disconnects, bounded. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#loop.catch(() => {});
    for (const w of this.#arrivals) w();
    this.#arrivals.clear();
    await disconnectClient(this.#consumer);
    await this.#watermarks.close();
  }
}
