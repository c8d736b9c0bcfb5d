import Kafka from 'node-rdkafka';
import { connectClient, disconnectClient } from '@seda/kafka';

/** A record read back from a topic by the raw client. */
export interface ReadRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
  headers: { [key: string]: string };
}

/**
 * Produces records with a raw node-rdkafka producer (not seda's sink: an
 * independent oracle) and resolves once every one was acknowledged.
 */
export async function produceRaw(
  brokers: string,
  topic: string,
  records: Array<{ key?: string | null; value: string; partition?: number; timestamp?: number; headers?: Array<{ [key: string]: string }> }>,
  timeoutMs = 60_000,
): Promise<void> {
  const producer = new Kafka.Producer({ 'bootstrap.servers': brokers, dr_cb: true, 'enable.idempotence': true, 'linger.ms': 5 });
  await connectClient(producer, 10_000);
  producer.setPollInterval(10);
  let acked = 0;
  let failed: Error | undefined;
  producer.on('delivery-report', (err) => {
    if (err) failed = new Error(err.message);
    acked++;
  });
  try {
    for (const r of records) {
      for (;;) {
        try {
          producer.produce(topic, r.partition ?? null, Buffer.from(r.value), r.key ?? null, r.timestamp, undefined, r.headers);
          break;
        } catch (err) {
          if ((err as { code?: number }).code !== Kafka.CODES.ERRORS.ERR__QUEUE_FULL) throw err;
          await new Promise((res) => setTimeout(res, 5));
        }
      }
    }
    const deadline = Date.now() + timeoutMs;
    while (acked < records.length && failed === undefined) {
      if (Date.now() > deadline) throw new Error(`produceRaw: ${acked}/${records.length} acknowledged after ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, 10));
    }
    if (failed) throw failed;
  } finally {
    await disconnectClient(producer, { timeoutMs: 10_000, flushMs: 5000 });
  }
}

/** Number of partitions of a topic, from metadata. */
export async function partitionCount(brokers: string, topic: string): Promise<number> {
  const consumer = new Kafka.KafkaConsumer({ 'bootstrap.servers': brokers, 'group.id': 'seda-test-meta', 'allow.auto.create.topics': false }, {});
  await connectClient(consumer, 10_000);
  try {
    const md = await new Promise<Kafka.Metadata>((resolve, reject) =>
      consumer.getMetadata({ topic, timeout: 10_000 }, (err, data) => (err ? reject(err) : resolve(data))),
    );
    const t = md.topics.find((x) => x.name === topic);
    if (!t || t.partitions.length === 0) throw new Error(`topic ${topic} not found`);
    return t.partitions.length;
  } finally {
    await disconnectClient(consumer, { timeoutMs: 10_000 });
  }
}

/**
 * Reads a topic from the beginning of every partition with a raw consumer
 * (no group commits) until `expected` records arrived or it was idle for
 * `idleMs`; bounded by `timeoutMs`.
 */
export async function readAll(
  brokers: string,
  topic: string,
  options: { expected?: number; idleMs?: number; timeoutMs?: number } = {},
): Promise<ReadRecord[]> {
  const partitions = await partitionCount(brokers, topic);
  const consumer = new Kafka.KafkaConsumer(
    { 'bootstrap.servers': brokers, 'group.id': `seda-test-reader-${process.pid}-${Date.now()}`, 'enable.auto.commit': false },
    { 'auto.offset.reset': 'earliest' },
  );
  await connectClient(consumer, 10_000);
  const out: ReadRecord[] = [];
  try {
    consumer.assign(Array.from({ length: partitions }, (_, p) => ({ topic, partition: p, offset: 0 })));
    consumer.setDefaultConsumeTimeout(100);
    const deadline = Date.now() + (options.timeoutMs ?? 60_000);
    let lastData = Date.now();
    for (;;) {
      const batch = await new Promise<Kafka.Message[]>((resolve, reject) => consumer.consume(1000, (err, msgs) => (err ? reject(err) : resolve(msgs))));
      for (const m of batch) {
        const headers: { [key: string]: string } = {};
        for (const h of m.headers ?? []) for (const k of Object.keys(h)) headers[k] = String(h[k]);
        out.push({ partition: m.partition, offset: m.offset, key: m.key == null ? null : m.key.toString(), value: m.value?.toString() ?? '', headers });
      }
      if (batch.length > 0) lastData = Date.now();
      if (options.expected !== undefined && out.length >= options.expected) break;
      if (Date.now() - lastData > (options.idleMs ?? 3000)) break;
      if (Date.now() > deadline) break;
    }
  } finally {
    await disconnectClient(consumer, { timeoutMs: 10_000 });
  }
  return out;
}
