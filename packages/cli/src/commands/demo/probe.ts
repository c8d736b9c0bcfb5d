import Kafka from 'node-rdkafka';
import { SedaError } from '@seda/core';

/** Low and high watermarks of every partition of a topic, by partition. */
export interface Watermarks {
  low: number[];
  high: number[];
}

function connect(brokers: string, group: string): Promise<Kafka.KafkaConsumer> {
  const consumer = new Kafka.KafkaConsumer(
    {
      'bootstrap.servers': brokers,
      'group.id': group,
      'enable.auto.commit': false,
      'allow.auto.create.topics': false,
      // A response lost to a broker fault (--chaos) is given up after 10 s, not librdkafka's 60 s:
      // requests queue behind it on the connection, and the live view and drain detection would go blind.
      'socket.timeout.ms': 10_000,
      // Watermark queries go to the leader in the metadata cache; a client that neither subscribes
      // nor fetches refreshes it only every 5 min, so after a broker came back (or a leader moved)
      // it would answer "Unknown partition" for minutes.
      'topic.metadata.refresh.interval.ms': 1000,
    },
    {},
  );
  return new Promise((resolve, reject) =>
    consumer.connect({ timeout: 10_000 }, (err) =>
      err ? reject(new SedaError('SEDA_DEMO_BROKER', `cannot reach the demo's broker at ${brokers}: ${err.message}`, { cause: err })) : resolve(consumer),
    ),
  );
}

/**
 * Reads what the demo's live view and drain detection need from the broker
 * itself: watermarks of every topic and the committed offsets of every stage's
 * consumer group. One long-lived client per group (never subscribed, so it
 * never joins the group), rather than a connection per question.
 */
export class BrokerProbe {
  readonly #admin: Kafka.KafkaConsumer;
  readonly #groups: Map<string, Kafka.KafkaConsumer>;
  readonly #timeoutMs = 5000;

  private constructor(admin: Kafka.KafkaConsumer, groups: Map<string, Kafka.KafkaConsumer>) {
    this.#admin = admin;
    this.#groups = groups;
  }

  /** Connects one client for watermarks and one per group. */
  static async connect(brokers: string, groups: string[]): Promise<BrokerProbe> {
    const admin = await connect(brokers, `seda-demo-probe-${process.pid}`);
    const byGroup = new Map<string, Kafka.KafkaConsumer>();
    for (const g of groups) byGroup.set(g, await connect(brokers, g));
    return new BrokerProbe(admin, byGroup);
  }

  /** Watermarks of partitions 0..n-1 of a topic. */
  async watermarks(topic: string, partitions: number): Promise<Watermarks> {
    const rows = await Promise.all(
      Array.from(
        { length: partitions },
        (_, p) =>
          new Promise<Kafka.WatermarkOffsets>((resolve, reject) =>
            this.#admin.queryWatermarkOffsets(topic, p, this.#timeoutMs, (err, o) => (err ? reject(err) : resolve(o))),
          ),
      ),
    );
    return { low: rows.map((r) => r.lowOffset), high: rows.map((r) => r.highOffset) };
  }

  /** A group's committed next offset of partitions 0..n-1 of a topic (-1 where it committed none). */
  committed(group: string, topic: string, partitions: number): Promise<number[]> {
    const consumer = this.#groups.get(group);
    if (consumer === undefined) return Promise.reject(new Error(`no probe for group ${group}`));
    const toppars = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    return new Promise((resolve, reject) =>
      consumer.committed(toppars, this.#timeoutMs, (err, tps) => {
        if (err) return reject(err);
        const out = new Array<number>(partitions).fill(-1);
        for (const tp of tps) out[tp.partition] = tp.offset !== undefined && tp.offset >= 0 ? tp.offset : -1;
        resolve(out);
      }),
    );
  }

  /** Disconnects every client (bounded). */
  async close(): Promise<void> {
    await Promise.all(
      [this.#admin, ...this.#groups.values()].map(
        (c) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, 5000);
            c.disconnect(() => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }
}
