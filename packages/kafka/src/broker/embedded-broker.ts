import { SedaError } from '@seda/core';
import { waitForTopic } from '../admin.js';
import { apiKeyOf, type ApiName } from './apis.js';
import { brokerInfoTopic, writeBrokerAnnouncement } from './discovery.js';
import { loadBinding, type MockBinding } from './native.js';

/** Options of {@link startBroker}. */
export interface StartBrokerOptions {
  /** Number of brokers in the cluster. Default 3. */
  brokers?: number;
  /** Delay before a new group's first assignment (Kafka's group.initial.rebalance.delay.ms). Default 0 here (Kafka's is 3000). */
  initialRebalanceDelayMs?: number;
  /**
   * Announce the broker on its metadata topic `__seda_broker` (default true),
   * which is how seda's clients tell it from a Kafka cluster. `false` makes it
   * look like any other cluster (for tests of the cluster path).
   */
  announce?: boolean;
  /** Topics to create at start, with their partition counts. */
  topics?: Array<{ name: string; partitions: number; replicationFactor?: number }>;
}

/**
 * Roughly what the mock keeps per partition before deleting from the log
 * start (librdkafka's rdkafka_mock.c: 5 MiB or 100k message sets). The limit
 * is fixed when a partition is created and rdkafka_mock.h offers no way to
 * change it (only the internal struct layout of rdkafka_mock_int.h could),
 * so it is not configurable here. A reader further behind loses the oldest
 * records to retention: `KafkaSource` starts it at the log start and
 * reports the loss; `detectRetentionLoss` and `seda lag` show it.
 */
export const mockRetentionBytesPerPartition = 5 * 1024 * 1024;

/**
 * librdkafka's mock cluster, in this process: a real Kafka-protocol broker
 * for tests, demos and benches. In memory only: everything is gone when it
 * stops. Topics get explicit partition counts; faults are injected at will.
 */
export class EmbeddedBroker {
  readonly #binding: MockBinding;
  readonly #handle: object;
  readonly #brokerCount: number;
  /** Bootstrap servers, `127.0.0.1:port,...`. */
  readonly bootstrap: string;
  /** When this broker started. */
  readonly startedAt = new Date();
  #announcing: Promise<void> = Promise.resolve();
  #hasInfoTopic = false;
  #stopped: Promise<void> | undefined;

  /** @internal Use {@link startBroker}. */
  constructor(binding: MockBinding, handle: object, brokers: number) {
    this.#binding = binding;
    this.#handle = handle;
    this.#brokerCount = brokers;
    this.bootstrap = binding.bootstraps(handle);
  }

  /** Broker ids (1-based, as the mock numbers them). */
  get brokerIds(): number[] {
    return Array.from({ length: this.#brokerCount }, (_, i) => i + 1);
  }

  #call<T>(what: string, fn: () => T): T {
    if (this.#stopped) throw new SedaError('SEDA_BROKER_STOPPED', `cannot ${what}: the embedded broker is stopped`);
    try {
      return fn();
    } catch (err) {
      throw new SedaError('SEDA_BROKER_MOCK', `cannot ${what}: ${(err as Error).message}`, { cause: err });
    }
  }

  #brokerId(id: number, anyAllowed = false): number {
    if ((anyAllowed && id === -1) || this.brokerIds.includes(id)) return id;
    throw new SedaError('SEDA_BROKER_MOCK', `no broker ${id}: this cluster has brokers ${this.brokerIds.join(', ')}${anyAllowed ? ' (-1: every broker)' : ''}`);
  }

  /** Creates a topic with a chosen partition count and replication factor, and waits until metadata shows it. */
  async createTopic(name: string, partitions: number, replicationFactor = 1): Promise<void> {
    if (!Number.isInteger(partitions) || partitions < 1) throw new SedaError('SEDA_BROKER_MOCK', `partitions must be a whole number >= 1 (got ${partitions})`);
    if (!Number.isInteger(replicationFactor) || replicationFactor < 1 || replicationFactor > this.#brokerCount) {
      throw new SedaError('SEDA_BROKER_MOCK', `replication factor must be between 1 and the broker count ${this.#brokerCount} (got ${replicationFactor})`);
    }
    this.#call(`create topic "${name}"`, () => this.#binding.topicCreate(this.#handle, name, partitions, replicationFactor));
    await waitForTopic(this.bootstrap, name, 10_000);
  }

  /**
   * Writes what this broker is (bootstrap, pid, start time, and the control
   * channel's URL when given) to seda's metadata topic on itself
   * ({@link brokerInfoTopic}, created on the first call), so that any
   * client knowing only the bootstrap address can tell it is seda's embedded
   * broker and find its control channel. {@link startBroker} announces at
   * start; `serveControl` announces again with its URL (the last record counts).
   */
  announce(extra: { control?: string } = {}): Promise<void> {
    // One after another: two announcements never race to create the topic.
    const next = this.#announcing.then(async () => {
      if (!this.#hasInfoTopic) {
        this.#call(`create topic "${brokerInfoTopic}"`, () => this.#binding.topicCreate(this.#handle, brokerInfoTopic, 1, 1));
        await waitForTopic(this.bootstrap, brokerInfoTopic, 10_000);
        this.#hasInfoTopic = true;
      }
      await writeBrokerAnnouncement(this.bootstrap, { bootstrap: this.bootstrap, pid: process.pid, startedAt: this.startedAt.toISOString(), ...extra });
    });
    this.#announcing = next.catch(() => {});
    return next;
  }

  /** Sets the delay before a group's first assignment (0 in tests). */
  setGroupInitialRebalanceDelay(ms: number): void {
    this.#call('set the rebalance delay', () => this.#binding.rebalanceDelay(this.#handle, ms));
  }

  /** Takes a broker down: its connections close and it refuses new ones until {@link setBrokerUp}. */
  setBrokerDown(id: number): void {
    this.#call(`take broker ${id} down`, () => this.#binding.brokerDown(this.#handle, this.#brokerId(id)));
  }

  /** Brings a broker back up. */
  setBrokerUp(id: number): void {
    this.#call(`bring broker ${id} up`, () => this.#binding.brokerUp(this.#handle, this.#brokerId(id)));
  }

  /** Adds round-trip latency to a broker's responses (-1: every broker). */
  setRtt(id: number, ms: number): void {
    this.#call(`set the RTT of broker ${id}`, () => this.#binding.brokerRtt(this.#handle, this.#brokerId(id, true), ms));
  }

  /** Makes the next requests of an API fail with these error codes, in order. */
  pushRequestErrors(api: ApiName | number, errors: number[]): void {
    this.#call('push request errors', () => this.#binding.pushRequestErrors(this.#handle, apiKeyOf(api), errors));
  }

  /** Forgets pushed errors of an API. */
  clearRequestErrors(api: ApiName | number): void {
    this.#call('clear request errors', () => this.#binding.clearRequestErrors(this.#handle, apiKeyOf(api)));
  }

  /** Moves a partition's leadership to another broker. */
  setPartitionLeader(topic: string, partition: number, brokerId: number): void {
    this.#call(`move the leader of ${topic}/${partition}`, () => this.#binding.partitionLeader(this.#handle, topic, partition, this.#brokerId(brokerId)));
  }

  /**
   * Stops the cluster. Bounded: librdkafka's teardown runs on a worker thread
   * and may wait on clients still connected; after `timeoutMs` this resolves
   * anyway (the process can exit; nothing is kept).
   */
  stop(timeoutMs = 5000): Promise<void> {
    this.#stopped ??= Promise.race([
      this.#binding.destroy(this.#handle),
      new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref()),
    ]);
    return this.#stopped;
  }
}

/** Starts an embedded Kafka cluster (librdkafka's mock) in this process. */
export async function startBroker(options: StartBrokerOptions = {}): Promise<EmbeddedBroker> {
  const binding = loadBinding();
  const brokers = options.brokers ?? 3;
  let handle: object;
  try {
    handle = binding.create(brokers);
  } catch (err) {
    throw new SedaError('SEDA_BROKER_MOCK', `cannot start the embedded broker: ${(err as Error).message}`, { cause: err });
  }
  const broker = new EmbeddedBroker(binding, handle, brokers);
  broker.setGroupInitialRebalanceDelay(options.initialRebalanceDelayMs ?? 0);
  try {
    if (options.announce !== false) await broker.announce();
  } catch (err) {
    await broker.stop();
    throw err;
  }
  for (const t of options.topics ?? []) await broker.createTopic(t.name, t.partitions, t.replicationFactor);
  return broker;
}
