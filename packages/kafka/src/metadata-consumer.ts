import Kafka from 'node-rdkafka';
import { SedaError } from '@seda/core';
import { splitKafkaProperties, type KafkaProperties } from './config.js';

/** A failed admin request, as one retryable `SEDA_KAFKA_ADMIN` error naming the brokers. */
export const wrap = (what: string, brokers: string, err: unknown): SedaError =>
  new SedaError('SEDA_KAFKA_ADMIN', `${what} on ${brokers} failed: ${(err as Error).message}; check --brokers and that the broker is running`, {
    cause: err,
    canRetry: true,
  });

/** Runs `fn` with a connected metadata-only consumer (of `group` when given), then disconnects. */
export async function withConsumer<T>(
  brokers: string,
  kafka: KafkaProperties | undefined,
  group: string | undefined,
  fn: (c: Kafka.KafkaConsumer) => Promise<T>,
  timeoutMs = 10_000,
): Promise<T> {
  const { global, topic } = splitKafkaProperties(kafka, 'consumer');
  const consumer = new Kafka.KafkaConsumer(
    {
      'bootstrap.servers': brokers,
      'group.id': group ?? `seda-admin-${process.pid}`,
      'enable.auto.commit': false,
      'allow.auto.create.topics': false,
      ...global,
    },
    topic,
  );
  await new Promise<void>((resolve, reject) => consumer.connect({ timeout: timeoutMs }, (err) => (err ? reject(wrap('connecting', brokers, err)) : resolve())));
  try {
    return await fn(consumer);
  } finally {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000);
      consumer.disconnect(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Cluster metadata: every topic, or one. */
export function metadata(c: Kafka.KafkaConsumer, brokers: string, topic?: string, timeoutMs = 10_000): Promise<Kafka.Metadata> {
  return new Promise((resolve, reject) =>
    c.getMetadata(topic ? { topic, timeout: timeoutMs } : { allTopics: true, timeout: timeoutMs }, (err, md) => (err ? reject(wrap('reading metadata', brokers, err)) : resolve(md))),
  );
}

/** Low and high watermarks of one partition. */
export function watermarks(c: Kafka.KafkaConsumer, brokers: string, topic: string, partition: number): Promise<{ low: number; high: number }> {
  return new Promise((resolve, reject) =>
    c.queryWatermarkOffsets(topic, partition, 10_000, (err, o) => (err ? reject(wrap(`reading watermarks of ${topic}/${partition}`, brokers, err)) : resolve({ low: o.lowOffset, high: o.highOffset }))),
  );
}
