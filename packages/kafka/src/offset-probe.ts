import type Kafka from 'node-rdkafka';
import type { KafkaProperties } from './config.js';
import { connectConsumer, disconnectConsumer, wrap } from './metadata-consumer.js';

/** Low and high watermarks of every partition of a topic, indexed by partition. */
export interface Watermarks {
  low: number[];
  high: number[];
}

/** Options of {@link OffsetProbe.connect}. */
export interface OffsetProbeOptions {
  /** Consumer groups whose committed offsets {@link OffsetProbe.committed} reads. */
  groups?: string[];
  kafka?: KafkaProperties;
  /** Bounds each watermark or committed-offset request. Default 5 s. */
  requestTimeoutMs?: number;
}

/**
 * Long-lived clients for a monitor that asks every second: watermarks of
 * topics and the committed offsets of consumer groups, one connection per
 * group (never subscribed, so it never joins the group) rather than a
 * connection per question as {@link groupLag} makes. Requests are not
 * retried: a caller that samples again soon just asks again.
 */
export class OffsetProbe {
  readonly #brokers: string;
  readonly #admin: Kafka.KafkaConsumer;
  readonly #groups: Map<string, Kafka.KafkaConsumer>;
  readonly #timeoutMs: number;

  private constructor(brokers: string, admin: Kafka.KafkaConsumer, groups: Map<string, Kafka.KafkaConsumer>, timeoutMs: number) {
    this.#brokers = brokers;
    this.#admin = admin;
    this.#groups = groups;
    this.#timeoutMs = timeoutMs;
  }

  /** Connects one client for watermarks and one per group (each connect bounded by 10 s; `SEDA_KAFKA_ADMIN` when it fails). */
  static async connect(brokers: string, options: OffsetProbeOptions = {}): Promise<OffsetProbe> {
    const properties: Kafka.ConsumerGlobalConfig = {
      // A response lost to a broker fault is given up after 10 s, not librdkafka's 60 s: requests
      // queue behind it on the connection, and a monitor sampling every second would go blind.
      'socket.timeout.ms': 10_000,
      // Watermark queries go to the leader in the metadata cache; a client that neither subscribes
      // nor fetches refreshes it only every 5 min, so after a broker came back (or a leader moved)
      // it would answer "Unknown partition" for minutes.
      'topic.metadata.refresh.interval.ms': 1000,
    };
    const opened: Kafka.KafkaConsumer[] = [];
    try {
      const admin = await connectConsumer(brokers, options.kafka, `seda-probe-${process.pid}`, 10_000, { global: properties });
      opened.push(admin);
      const byGroup = new Map<string, Kafka.KafkaConsumer>();
      for (const g of options.groups ?? []) {
        const c = await connectConsumer(brokers, options.kafka, g, 10_000, { global: properties });
        opened.push(c);
        byGroup.set(g, c);
      }
      return new OffsetProbe(brokers, admin, byGroup, options.requestTimeoutMs ?? 5000);
    } catch (err) {
      await Promise.all(opened.map((c) => disconnectConsumer(c, 5000)));
      throw err;
    }
  }

  /** Watermarks of partitions 0..n-1 of a topic. */
  async watermarks(topic: string, partitions: number): Promise<Watermarks> {
    const rows = await Promise.all(
      Array.from(
        { length: partitions },
        (_, p) =>
          new Promise<Kafka.WatermarkOffsets>((resolve, reject) =>
            this.#admin.queryWatermarkOffsets(topic, p, this.#timeoutMs, (err, o) => (err ? reject(wrap(`reading watermarks of ${topic}/${p}`, this.#brokers, err)) : resolve(o))),
          ),
      ),
    );
    return { low: rows.map((r) => r.lowOffset), high: rows.map((r) => r.highOffset) };
  }

  /** A group's committed next offset of partitions 0..n-1 of a topic (-1 where it committed none). The group must be one given to {@link OffsetProbe.connect}. */
  committed(group: string, topic: string, partitions: number): Promise<number[]> {
    const consumer = this.#groups.get(group);
    if (consumer === undefined) return Promise.reject(new Error(`OffsetProbe: group "${group}" was not given to OffsetProbe.connect`));
    const toppars = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    return new Promise((resolve, reject) =>
      consumer.committed(toppars, this.#timeoutMs, (err, tps) => {
        if (err) return reject(wrap(`reading offsets of group "${group}"`, this.#brokers, err));
        const out = new Array<number>(partitions).fill(-1);
        for (const tp of tps) out[tp.partition] = tp.offset !== undefined && tp.offset >= 0 ? tp.offset : -1;
        resolve(out);
      }),
    );
  }

  /** Disconnects every client (each bounded by 5 s). */
  async close(): Promise<void> {
    await Promise.all([this.#admin, ...this.#groups.values()].map((c) => disconnectConsumer(c, 5000)));
  }
}
