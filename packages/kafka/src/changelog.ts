import Kafka from 'node-rdkafka';
import { SedaError, silentLogger, type Logger } from '@seda/core';
import { createTopic, describeTopic, listTopics } from './admin.js';
import { connectClient, disconnectClient } from './client-connection.js';
import { isQueueFull, QueueRoom } from './queue-room.js';
import { splitKafkaProperties, type KafkaProperties } from './config.js';

/** One changelog record (the shape @seda/state's `ChangelogIO` expects). */
export interface ChangelogMessage {
  key: Buffer;
  value: Buffer | null;
  epoch: string;
}

/** A changelog record read back, with its offset. */
export interface ReadChangelogMessage extends ChangelogMessage {
  offset: number;
}

/** Options of {@link openChangelog}. */
export interface ChangelogOptions {
  brokers: string;
  /** The changelog topic, e.g. `<group>-<stage>-changelog`. */
  topic: string;
  /** Partitions it must have: those of the input. */
  partitions: number;
  /** Create the topic when missing (compacted). Default true. */
  create?: boolean;
  kafka?: KafkaProperties;
  log?: Logger;
  /** Records per read chunk. Default 5000. */
  readBatchSize?: number;
}

const EPOCH_HEADER = 'seda.cl.epoch';

interface Append {
  remaining: number;
  last: number;
  failed?: Error;
  resolve: (offset: number) => void;
  reject: (err: Error) => void;
}

function epochOf(headers: Kafka.MessageHeader[] | undefined): string {
  for (const h of headers ?? []) {
    const v = h[EPOCH_HEADER];
    if (v !== undefined) return Buffer.isBuffer(v) ? v.toString() : String(v);
  }
  return '';
}

/**
 * Kafka I/O of a stage's changelog topic: appends with delivery
 * acknowledged (idempotent producer, so a partition's records stay in
 * order), watermarks, and ordered reads of a partition range for restores.
 */
export class KafkaChangelog {
  readonly topic: string;
  readonly #options: ChangelogOptions;
  readonly #log: Logger;
  readonly #producer: Kafka.Producer;
  /** The one reader, shared: created once even when several callers ask at the same time. */
  #reader: Promise<Kafka.KafkaConsumer> | undefined;
  /** Reads take the reader's assignment in turn (an owner's restore and a standby round may overlap). */
  #reading: Promise<void> = Promise.resolve();
  readonly #room = new QueueRoom();

  /** @internal Use {@link openChangelog}. */
  constructor(options: ChangelogOptions) {
    this.topic = options.topic;
    this.#options = options;
    this.#log = options.log ?? silentLogger;
    const { global, topic } = splitKafkaProperties(options.kafka, 'producer');
    this.#producer = new Kafka.Producer(
      {
        'bootstrap.servers': options.brokers,
        dr_cb: true,
        'enable.idempotence': true,
        'linger.ms': 2,
        'socket.keepalive.enable': true,
        ...global,
      },
      topic,
    );
    this.#producer.on('delivery-report', (err, report) => this.#onReport(err, report));
    this.#producer.on('event.error', (err: Kafka.LibrdKafkaError) => this.#log.warn({ err, changelog: this.topic }, 'changelog producer error (librdkafka retries)'));
  }

  async connect(): Promise<void> {
    await connectClient(
      this.#producer,
      15_000,
      (err) => new SedaError('SEDA_KAFKA_CONNECT', `cannot reach Kafka at ${this.#options.brokers} for changelog "${this.topic}": ${err.message}`, { cause: err, canRetry: true }),
    );
    this.#producer.setPollInterval(2);
  }

  #onReport(err: Kafka.LibrdKafkaError | null | undefined, report: Kafka.DeliveryReport): void {
    this.#room.wake();
    const a = report.opaque as Append | undefined;
    if (a === undefined) return;
    if (err) a.failed ??= new SedaError('SEDA_KAFKA_DELIVERY', `changelog "${this.topic}" append failed: ${err.message}`, { cause: err });
    else if (report.offset > a.last) a.last = report.offset;
    if (--a.remaining === 0) {
      if (a.failed) a.reject(a.failed);
      else a.resolve(a.last);
    }
  }

  /** Appends records to a partition in order; resolves with the last offset once every one is acknowledged. */
  append(partition: number, records: ChangelogMessage[]): Promise<number> {
    if (records.length === 0) return Promise.reject(new SedaError('SEDA_KAFKA_DELIVERY', 'an empty changelog append'));
    return new Promise<number>((resolve, reject) => {
      const a: Append = { remaining: records.length, last: -1, resolve, reject };
      const produceFrom = (from: number): void => {
        for (let i = from; i < records.length; i++) {
          const r = records[i];
          try {
            this.#producer.produce(this.topic, partition, r.value, r.key, null, a, [{ [EPOCH_HEADER]: r.epoch }] as never);
          } catch (err) {
            if (isQueueFull(err)) {
              this.#room.wait(() => produceFrom(i));
              return;
            }
            // The records before this one may still be delivered; a restore drops them (no marker follows).
            a.failed = new SedaError('SEDA_KAFKA_DELIVERY', `cannot append to changelog "${this.topic}": ${(err as Error).message}`, { cause: err });
            a.remaining -= records.length - i;
            if (a.remaining === 0) reject(a.failed);
            return;
          }
        }
      };
      produceFrom(0);
    });
  }

  #consumer(): Promise<Kafka.KafkaConsumer> {
    this.#reader ??= this.#connectReader();
    // A reader that failed to connect is forgotten, so the next call tries again.
    this.#reader.catch(() => (this.#reader = undefined));
    return this.#reader;
  }

  async #connectReader(): Promise<Kafka.KafkaConsumer> {
    const { global, topic } = splitKafkaProperties(this.#options.kafka, 'consumer');
    const c = new Kafka.KafkaConsumer(
      {
        'bootstrap.servers': this.#options.brokers,
        'group.id': `${this.topic}-reader`,
        'enable.auto.commit': false,
        'allow.auto.create.topics': false,
        ...global,
      },
      { ...topic, 'auto.offset.reset': 'earliest' },
    );
    await connectClient(c, 15_000, (err) => new SedaError('SEDA_KAFKA_CONNECT', `cannot read changelog "${this.topic}": ${err.message}`, { cause: err, canRetry: true }));
    return c;
  }

  /** Low and high watermarks of a partition, from the broker. */
  async watermarks(partition: number): Promise<{ low: number; high: number }> {
    const c = await this.#consumer();
    return new Promise((resolve, reject) =>
      c.queryWatermarkOffsets(this.topic, partition, 10_000, (err, o) =>
        err ? reject(new SedaError('SEDA_KAFKA_ADMIN', `cannot read watermarks of changelog ${this.topic}/${partition}: ${err.message}`, { cause: err, canRetry: true })) : resolve({ low: o.lowOffset, high: o.highOffset }),
      ),
    );
  }

  /** Reads `[from, to)` of a partition in order, in chunks. Concurrent reads are served one after another. */
  async read(partition: number, from: number, to: number, onRecords: (records: ReadChangelogMessage[]) => Promise<void>): Promise<void> {
    if (from >= to) return;
    const turn = this.#reading.then(() => this.#readExclusive(partition, from, to, onRecords));
    this.#reading = turn.catch(() => {});
    return turn;
  }

  async #readExclusive(partition: number, from: number, to: number, onRecords: (records: ReadChangelogMessage[]) => Promise<void>): Promise<void> {
    const c = await this.#consumer();
    c.assign([{ topic: this.topic, partition, offset: from }]);
    c.setDefaultConsumeTimeout(1000);
    const batch = this.#options.readBatchSize ?? 5000;
    let next = from;
    let idle = 0;
    try {
      while (next < to) {
        // Never ask for more than the range still holds: consume(n) waits (per message) for the n-th.
        const messages = await new Promise<Kafka.Message[]>((resolve, reject) =>
          c.consume(Math.min(batch, to - next), (err, m) => (err ? reject(err) : resolve(m ?? []))),
        );
        const records: ReadChangelogMessage[] = [];
        for (const m of messages) {
          if (m.partition !== partition || m.offset < next || m.offset >= to) continue;
          records.push({ key: m.key === undefined || m.key === null ? Buffer.alloc(0) : Buffer.from(m.key as Buffer), value: m.value ?? null, epoch: epochOf(m.headers), offset: m.offset });
          next = m.offset + 1;
        }
        if (records.length > 0) {
          idle = 0;
          await onRecords(records);
        } else if (++idle > 30) {
          // Compaction can leave gaps, but never a silent end: the high watermark says records are there.
          throw new SedaError('SEDA_KAFKA_CONSUME', `reading changelog ${this.topic}/${partition} stalled at offset ${next} (expected up to ${to})`, { canRetry: true });
        } else if (messages.length === 0) {
          // Nothing more below `to` may exist past compaction gaps: check where the log ends.
          const { high } = await this.watermarks(partition);
          if (next >= high) break;
        }
      }
    } finally {
      c.unassign();
    }
  }

  /** Flushes and disconnects, bounded. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#producer.flush(10_000, () => resolve()));
    // disconnectClient stops the poll timer first: a poll of a producer disconnect() has freed crashes the process (found by client churn).
    await disconnectClient(this.#producer, { timeoutMs: 10_000 });
    await this.#reading;
    const r = await this.#reader?.catch(() => undefined);
    this.#reader = undefined;
    if (r !== undefined) await disconnectClient(r, { timeoutMs: 10_000 });
  }
}

/**
 * Opens a stage's changelog, creating the topic (compacted, partitioned like
 * the input) when it does not exist, and checking its partition count when it does.
 */
export async function openChangelog(options: ChangelogOptions): Promise<KafkaChangelog> {
  const { brokers, topic, partitions, kafka } = options;
  const exists = (await listTopics(brokers, kafka)).some((t) => t.name === topic);
  const existing = exists ? (await describeTopic(brokers, topic, kafka)).length : undefined;
  if (existing === undefined) {
    if (options.create === false) {
      throw new SedaError('SEDA_KAFKA_ADMIN', `changelog topic "${topic}" does not exist; create it with ${partitions} partitions and cleanup.policy=compact`);
    }
    try {
      await createTopic(brokers, topic, partitions, { kafka, config: { 'cleanup.policy': 'compact' } });
      options.log?.info({ changelog: topic, partitions }, 'changelog topic created');
    } catch (err) {
      // Another instance of the group created it meanwhile.
      if ((err as SedaError).code !== 'SEDA_KAFKA_TOPIC_EXISTS') throw err;
    }
  }
  const count = existing ?? (await describeTopic(brokers, topic, kafka)).length;
  if (count !== partitions) {
    throw new SedaError(
      'SEDA_KAFKA_ADMIN',
      `changelog topic "${topic}" has ${count} partitions but the input has ${partitions}; a changelog must be partitioned like its input (recreate it, or pass another --group)`,
    );
  }
  const changelog = new KafkaChangelog(options);
  await changelog.connect();
  return changelog;
}
