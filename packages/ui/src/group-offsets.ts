import Kafka from 'node-rdkafka';
import { SedaError } from '@seda/core';
import { connectClient, disconnectClient, splitKafkaProperties, type KafkaProperties } from '@seda/kafka';

/**
 * Committed offsets of consumer groups, read (never committed) through one
 * long-lived consumer per group: librdkafka reads a group's offsets only as
 * that group, and the embedded broker has no admin API for it.
 */
export class GroupOffsets {
  readonly #brokers: string;
  readonly #kafka: KafkaProperties | undefined;
  readonly #consumers = new Map<string, Promise<Kafka.KafkaConsumer>>();

  constructor(brokers: string, kafka?: KafkaProperties) {
    this.#brokers = brokers;
    this.#kafka = kafka;
  }

  #consumer(group: string): Promise<Kafka.KafkaConsumer> {
    let c = this.#consumers.get(group);
    if (c === undefined) {
      c = (async () => {
        const { global, topic } = splitKafkaProperties(this.#kafka, 'consumer');
        delete global['statistics.interval.ms'];
        const consumer = new Kafka.KafkaConsumer({ 'bootstrap.servers': this.#brokers, 'group.id': group, 'enable.auto.commit': false, 'allow.auto.create.topics': false, ...global }, topic);
        await connectClient(consumer, 10_000, (err) => new SedaError('SEDA_UI_KAFKA', `cannot read offsets of group "${group}" on ${this.#brokers}: ${err.message}`, { cause: err, canRetry: true }));
        return consumer;
      })();
      c.catch(() => this.#consumers.delete(group));
      this.#consumers.set(group, c);
    }
    return c;
  }

  /** Committed next offset per partition of `topic` (-1: none committed). */
  async committed(group: string, topic: string, partitions: number): Promise<number[]> {
    const c = await this.#consumer(group);
    const toppars = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    const tps = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) =>
      c.committed(toppars, 10_000, (err, r) => (err ? reject(new SedaError('SEDA_UI_KAFKA', `reading offsets of group "${group}" failed: ${err.message}`, { cause: err, canRetry: true })) : resolve(r))),
    );
    const out = new Array<number>(partitions).fill(-1);
    for (const tp of tps) if ((tp.offset ?? -1) >= 0) out[tp.partition] = tp.offset!;
    return out;
  }

  /** Disconnects every consumer, bounded. */
  async close(): Promise<void> {
    const all = [...this.#consumers.values()];
    this.#consumers.clear();
    await Promise.all(
      all.map(async (p) => {
        const c = await p.catch(() => undefined);
        if (c !== undefined) await disconnectClient(c);
      }),
    );
  }
}
