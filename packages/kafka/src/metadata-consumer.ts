import Kafka from 'node-rdkafka';
import { SedaError } from '@seda/core';
import { connectClient, disconnectClient } from './client-connection.js';
import { splitKafkaProperties, type KafkaProperties } from './config.js';

/** A failed admin request, as one retryable `SEDA_KAFKA_ADMIN` error naming the brokers. */
export const wrap = (what: string, brokers: string, err: unknown): SedaError =>
  new SedaError('SEDA_KAFKA_ADMIN', `${what} on ${brokers} failed: ${(err as Error).message}; check --brokers and that the broker is running`, {
    cause: err,
    canRetry: true,
  });

/**
 * A connected consumer of `group` (default `seda-admin-<pid>`) that never
 * subscribes, for metadata, watermark and committed-offset queries and plain
 * assigned reads; `extra` is added to its global and topic configuration
 * (the user's `kafka` properties win).
 */
export async function connectConsumer(
  brokers: string,
  kafka: KafkaProperties | undefined,
  group: string | undefined,
  timeoutMs = 10_000,
  extra: { global?: Kafka.ConsumerGlobalConfig; topic?: Kafka.ConsumerTopicConfig } = {},
): Promise<Kafka.KafkaConsumer> {
  const { global, topic } = splitKafkaProperties(kafka, 'consumer');
  const consumer = new Kafka.KafkaConsumer(
    {
      'bootstrap.servers': brokers,
      'group.id': group ?? `seda-admin-${process.pid}`,
      'enable.auto.commit': false,
      'allow.auto.create.topics': false,
      ...extra.global,
      ...global,
    },
    { ...extra.topic, ...topic },
  );
  await connectClient(consumer, timeoutMs, (err) => wrap('connecting', brokers, err));
  return consumer;
}

/** Disconnects a consumer, giving up waiting after `timeoutMs` (default 10 s). */
export async function disconnectConsumer(consumer: Kafka.KafkaConsumer, timeoutMs = 10_000): Promise<void> {
  await disconnectClient(consumer, { timeoutMs });
}

/** Runs `fn` with a connected metadata-only consumer (of `group` when given), then disconnects. */
export async function withConsumer<T>(
  brokers: string,
  kafka: KafkaProperties | undefined,
  group: string | undefined,
  fn: (c: Kafka.KafkaConsumer) => Promise<T>,
  timeoutMs = 10_000,
): Promise<T> {
  const consumer = await connectConsumer(brokers, kafka, group, timeoutMs);
  try {
    return await fn(consumer);
  } finally {
    await disconnectConsumer(consumer);
  }
}

/** Cluster metadata: every topic, or one. */
export function metadata(c: Kafka.KafkaConsumer, brokers: string, topic?: string, timeoutMs = 10_000): Promise<Kafka.Metadata> {
  return new Promise((resolve, reject) =>
    c.getMetadata(topic ? { topic, timeout: timeoutMs } : { allTopics: true, timeout: timeoutMs }, (err, md) => (err ? reject(wrap('reading metadata', brokers, err)) : resolve(md))),
  );
}

/**
 * Errors of a watermark query that a broker restarting or a leader moving causes and time cures
 * (the partition's leader unknown or unreachable for a moment).
 */
const TRANSIENT: ReadonlySet<number> = new Set([
  Kafka.CODES.ERRORS.ERR__UNKNOWN_PARTITION,
  Kafka.CODES.ERRORS.ERR__TRANSPORT,
  Kafka.CODES.ERRORS.ERR__TIMED_OUT,
  Kafka.CODES.ERRORS.ERR__ALL_BROKERS_DOWN,
  Kafka.CODES.ERRORS.ERR_LEADER_NOT_AVAILABLE,
  Kafka.CODES.ERRORS.ERR_NOT_LEADER_FOR_PARTITION,
  Kafka.CODES.ERRORS.ERR_BROKER_NOT_AVAILABLE,
  // The query was queued on the handle of a broker that went away (seen when the leader goes down
  // under load: "Broker handle destroyed without termination"); the next query goes to the new leader.
  Kafka.CODES.ERRORS.ERR__DESTROY_BROKER,
]);

/** Low and high watermarks of one partition; transient errors are retried for up to `retryMs` (default 15 s). */
export async function watermarks(c: Kafka.KafkaConsumer, brokers: string, topic: string, partition: number, retryMs = 15_000): Promise<{ low: number; high: number }> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    try {
      return await new Promise((resolve, reject) =>
        c.queryWatermarkOffsets(topic, partition, 10_000, (err, o) => (err ? reject(err) : resolve({ low: o.lowOffset, high: o.highOffset }))),
      );
    } catch (err) {
      if (!TRANSIENT.has((err as { code?: number }).code ?? 0) || Date.now() >= deadline) throw wrap(`reading watermarks of ${topic}/${partition}`, brokers, err);
      await new Promise((r) => setTimeout(r, 500));
      // The query goes to the leader in the client's metadata cache: refresh it (a client that
      // neither subscribes nor fetches would otherwise keep the unknown leader for minutes).
      await metadata(c, brokers, topic, 5000).catch(() => {});
    }
  }
}
