import { Writable } from 'node:stream';
import Kafka from 'node-rdkafka';
import { SedaError, silentLogger, tpKey, type Logger, type OutputBatch } from '@seda/core';
import { cannotReach, connectClient, disconnectClient } from './client-connection.js';
import { producerDefaults } from './client-defaults.js';
import { isQueueFull, QueueRoom } from './queue-room.js';
import { splitKafkaProperties, type KafkaProperties } from './config.js';

/** Options of {@link KafkaSink}. */
export interface KafkaSinkOptions {
  brokers: string;
  /** librdkafka properties, passed through (they win over seda's defaults). */
  kafka?: KafkaProperties;
  /** Idempotent producer (no duplicates or reordering from retries). Default true. */
  idempotent?: boolean;
  log?: Logger;
  /**
   * Called once every message of a batch is acknowledged by the broker, in
   * the order batches of one input partition were written.
   */
  onDelivered?: (batch: OutputBatch) => void;
  /** How often delivery reports are polled. Default 5 ms. */
  pollIntervalMs?: number;
  /** Connect timeout. Default 15 s. */
  connectTimeoutMs?: number;
  /**
   * Most messages produced and not yet reported delivered. node-rdkafka hands
   * delivery reports to JS at most 100 per event-loop turn, so a busy process
   * can produce faster than it hears back; past this bound (or
   * `maxInFlightBytes`) a write completes only once reports caught up to 3/4
   * of it, which holds the stage and the source back and keeps memory
   * bounded. Default 20000.
   */
  maxInFlight?: number;
  /** Most value bytes produced and not yet reported delivered; see `maxInFlight`. Default 32 MiB. */
  maxInFlightBytes?: number;
  /**
   * Empty each batch's `messages` once all of them are handed to librdkafka
   * (which copies them), so they are not held in memory until delivery; the
   * batch reaches `onDelivered` with no messages. For callers that only need
   * a delivered batch's offsets (the runtime): holding up to `maxInFlight`
   * messages for the delivery window made them survive young-generation GCs.
   * Default false.
   */
  releaseProduced?: boolean;
}

const isTooLarge = (err: unknown): boolean => {
  const code = (err as { code?: number }).code;
  return code === Kafka.CODES.ERRORS.ERR_MSG_SIZE_TOO_LARGE || code === Kafka.CODES.ERRORS.ERR_RECORD_LIST_TOO_LARGE;
};

/**
 * A message the producer or the broker refuses for its size. The stage checks
 * emissions against the producer's `message.max.bytes` (and dead-letters them);
 * this is what is left: a broker or topic limit below the producer's.
 */
function tooLarge(topic: string, err: unknown): SedaError {
  return new SedaError(
    'SEDA_KAFKA_MESSAGE_TOO_LARGE',
    `a message to "${topic}" is too large (${(err as Error).message}); the topic's max.message.bytes (or the broker's message.max.bytes) is below the producer's: make them agree (--kafka message.max.bytes=<n>), so oversized emissions are dead-lettered`,
    { cause: err },
  );
}

function produceError(topic: string, err: unknown): SedaError {
  if (isTooLarge(err)) return tooLarge(topic, err);
  return new SedaError('SEDA_KAFKA_DELIVERY', `cannot produce to "${topic}": ${(err as Error).message}`, { cause: err });
}

/** A written batch waiting for its delivery reports. */
interface Pending {
  batch: OutputBatch;
  remaining: number;
}

/**
 * A Writable of {@link OutputBatch} chunks over node-rdkafka's Producer. A
 * write completes once its messages are queued in librdkafka; the batch is
 * reported delivered (in order per input partition) once the broker
 * acknowledged all of them. A full queue waits for delivery reports (no drop,
 * no busy loop); a failed delivery destroys the sink with
 * `SEDA_KAFKA_DELIVERY` and the batch is never reported delivered.
 */
export class KafkaSink extends Writable {
  readonly producer: Kafka.Producer;
  readonly #options: KafkaSinkOptions;
  readonly #log: Logger;
  /** Written, undelivered batches per input partition, in write order. */
  readonly #pending = new Map<string, Pending[]>();
  #inFlight = 0;
  #inFlightBytes = 0;
  readonly #maxInFlight: number;
  readonly #maxInFlightBytes: number;
  /** The write waiting for delivery reports to bring `#inFlight` back under the bound. */
  #roomWaiter: (() => void) | undefined;
  readonly #room = new QueueRoom();
  /** Waiters of {@link flush} for the last delivery report to reach JS. */
  #settledWaiters: Array<() => void> = [];
  #closed: Promise<void> | undefined;
  /** Set once a delivery failed: no batch is reported delivered after that. */
  #failed = false;

  constructor(options: KafkaSinkOptions) {
    // Not destroyed on finish: delivery reports of the last writes still arrive after it.
    super({ objectMode: true, highWaterMark: 16, autoDestroy: false });
    this.#options = options;
    this.#log = options.log ?? silentLogger;
    this.#maxInFlight = options.maxInFlight ?? 20_000;
    this.#maxInFlightBytes = options.maxInFlightBytes ?? 32 * 1024 * 1024;
    const idempotent = options.idempotent ?? true;
    const { global, topic } = splitKafkaProperties(options.kafka, 'producer');
    this.producer = new Kafka.Producer(
      {
        'bootstrap.servers': options.brokers,
        dr_cb: true,
        'enable.idempotence': idempotent,
        ...producerDefaults,
        ...global,
      },
      {
        // The Java client's (and KafkaJS's) key hashing, so a key lands on the same
        // partition whichever of them produced it (librdkafka's default is CRC32).
        partitioner: 'murmur2_random',
        ...topic,
      } as Kafka.ProducerTopicConfig,
    );
    this.producer.on('delivery-report', (err, report) => this.#onReport(err, report));
    this.producer.on('event.error', (err: Kafka.LibrdKafkaError) => this.#log.warn({ err }, 'producer error (librdkafka retries)'));
  }

  /** Connects the producer; fails with one clear error when the broker cannot be reached. */
  async connect(): Promise<void> {
    const timeout = this.#options.connectTimeoutMs ?? 15_000;
    await connectClient(this.producer, timeout, cannotReach(this.#options.brokers));
    this.producer.setPollInterval(this.#options.pollIntervalMs ?? 5);
  }

  /** Messages produced and not yet acknowledged. */
  inFlight(): number {
    return this.#inFlight;
  }

  override _write(batch: OutputBatch, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const key = tpKey(batch.topic, batch.partition);
    let queue = this.#pending.get(key);
    if (queue === undefined) this.#pending.set(key, (queue = []));
    const entry: Pending = { batch, remaining: batch.messages.length };
    queue.push(entry);
    if (entry.remaining === 0) {
      this.#settle(queue);
      callback();
      return;
    }
    this.#produceFrom(entry, 0, callback);
  }

  #produceFrom(entry: Pending, from: number, callback: (error?: Error | null) => void): void {
    const messages = entry.batch.messages;
    for (let i = from; i < messages.length; i++) {
      const m = messages[i];
      try {
        this.producer.produce(m.topic, m.partition ?? null, m.value, m.key, m.timestamp ?? null, entry, m.headers as never);
        this.#inFlight++;
        this.#inFlightBytes += m.value?.length ?? 0;
      } catch (err) {
        if (isQueueFull(err)) {
          // librdkafka's queue is full: wait for deliveries to make room, then go on.
          this.#room.wait(() => this.#produceFrom(entry, i, callback));
          this.producer.poll();
          return;
        }
        callback(produceError(m.topic, err));
        return;
      }
    }
    if (this.#options.releaseProduced === true) messages.length = 0;
    if (this.#inFlight < this.#maxInFlight && this.#inFlightBytes < this.#maxInFlightBytes) callback();
    else this.#roomWaiter = () => callback();
  }

  #onReport(err: Kafka.LibrdKafkaError | null | undefined, report: Kafka.DeliveryReport): void {
    this.#inFlight--;
    this.#inFlightBytes -= report.size ?? 0;
    if (this.#roomWaiter !== undefined && this.#inFlight * 4 <= this.#maxInFlight * 3 && this.#inFlightBytes * 4 <= this.#maxInFlightBytes * 3) {
      const resume = this.#roomWaiter;
      this.#roomWaiter = undefined;
      resume();
    }
    this.#room.wake();
    if (this.#inFlight === 0 && this.#settledWaiters.length > 0) {
      const waiters = this.#settledWaiters;
      this.#settledWaiters = [];
      for (const w of waiters) w();
    }
    const entry = report.opaque as Pending | undefined;
    if (err) {
      this.#failed = true;
      this.destroy(
        isTooLarge(err)
          ? tooLarge(report.topic, err)
          : new SedaError('SEDA_KAFKA_DELIVERY', `delivery to "${report.topic}" failed: ${err.message}; offsets of its input are not committed`, { cause: err }),
      );
      return;
    }
    if (entry === undefined) return;
    entry.remaining--;
    if (entry.remaining === 0) this.#settle(this.#pending.get(tpKey(entry.batch.topic, entry.batch.partition))!);
  }

  /** Reports delivered batches from the head of a partition's queue, in order. */
  #settle(queue: Pending[]): void {
    let n = 0;
    while (n < queue.length && queue[n].remaining === 0) n++;
    if (n === 0) return;
    const done = queue.splice(0, n);
    if (this.#failed) return;
    for (const p of done) this.#options.onDelivered?.(p.batch);
  }

  /**
   * Waits until every produced message is acknowledged (or failed) and its
   * delivery report has been handled here. librdkafka's flush returns once
   * its queue is empty, but node-rdkafka hands the reports over to JS
   * asynchronously: without the second wait, the last reports (and their
   * `onDelivered`) could still be pending when the caller goes on, and be lost
   * at disconnect.
   */
  async flush(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    await new Promise<void>((resolve, reject) =>
      this.producer.flush(timeoutMs, (err) =>
        err ? reject(new SedaError('SEDA_KAFKA_TIMEOUT', `producer flush did not finish within ${timeoutMs} ms: ${err.message}`, { cause: err, canRetry: true })) : resolve(),
      ),
    );
    if (this.#inFlight <= 0) return;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#settledWaiters = this.#settledWaiters.filter((w) => w !== done);
        reject(new SedaError('SEDA_KAFKA_TIMEOUT', `${this.#inFlight} delivery reports did not arrive within ${timeoutMs} ms of the flush`, { canRetry: true }));
      }, Math.max(0, deadline - Date.now()));
      this.#settledWaiters.push(done);
      this.producer.poll();
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    callback();
  }

  /** Flushes and disconnects, bounded. */
  close(timeoutMs = 30_000): Promise<void> {
    this.#closed ??= (async () => {
      if (!this.producer.isConnected()) return;
      await this.flush(timeoutMs).catch((err: unknown) => this.#log.warn({ err }, 'flush on close failed'));
      await disconnectClient(this.producer, { timeoutMs, flushMs: timeoutMs });
    })();
    return this.#closed;
  }
}
