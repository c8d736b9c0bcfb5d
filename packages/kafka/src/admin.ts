import Kafka from 'node-rdkafka';
import { SedaError } from '@seda/core';
import { splitKafkaProperties, type KafkaProperties } from './config.js';
import { findBrokerControl } from './broker/discovery.js';
import { metadata, watermarks, withConsumer, wrap } from './metadata-consumer.js';

/** A topic and its partition count. */
export interface TopicInfo {
  name: string;
  partitions: number;
}

/** One partition of a topic: leader, replicas and watermarks. */
export interface PartitionInfo {
  partition: number;
  leader: number;
  replicas: number[];
  low: number;
  high: number;
}

/** A group's progress on one partition. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** Committed next offset, or -1 when the group committed none. */
  committed: number;
  high: number;
  low: number;
  /** high - committed (high - low when nothing is committed). */
  lag: number;
}

/**
 * Topics of the cluster; `timeoutMs` bounds the connect and the metadata
 * request (default 10 s each). Internal topics (named `__...`: Kafka's
 * `__consumer_offsets`, seda's `__seda_broker`) are left out unless `internal`.
 */
export async function listTopics(brokers: string, kafka?: KafkaProperties, options: { timeoutMs?: number; internal?: boolean } = {}): Promise<TopicInfo[]> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return withConsumer(
    brokers,
    kafka,
    undefined,
    async (c) => {
      const md = await metadata(c, brokers, undefined, timeoutMs);
      return md.topics
        .filter((t) => (options.internal === true || !t.name.startsWith('__')) && t.partitions.length > 0)
        .map((t) => ({ name: t.name, partitions: t.partitions.length }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },
    timeoutMs,
  );
}

/** Partitions of a topic with leaders, replicas and low/high watermarks. */
export async function describeTopic(brokers: string, name: string, kafka?: KafkaProperties): Promise<PartitionInfo[]> {
  return withConsumer(brokers, kafka, undefined, async (c) => {
    const md = await metadata(c, brokers);
    const topic = md.topics.find((t) => t.name === name);
    if (!topic || topic.partitions.length === 0) throw missingTopics([name], brokers);
    const out: PartitionInfo[] = [];
    for (const p of [...topic.partitions].sort((a, b) => a.id - b.id)) {
      out.push({ partition: p.id, leader: p.leader, replicas: p.replicas, ...(await watermarks(c, brokers, name, p.id)) });
    }
    return out;
  });
}

function missingTopics(names: string[], brokers: string): SedaError {
  const many = names.length > 1;
  return new SedaError(
    'SEDA_KAFKA_TOPIC_MISSING',
    `topic${many ? 's' : ''} ${names.map((t) => `"${t}"`).join(', ')} do${many ? '' : 'es'} not exist on ${brokers}; create ${many ? 'them' : 'it'} with ${names.map((t) => `\`seda topics create ${t} --partitions N\``).join(', ')}`,
  );
}

/**
 * The partition count of each topic; fails with `SEDA_KAFKA_TOPIC_MISSING`
 * naming every topic that does not exist (seda never relies on auto-creation:
 * a topic's partition count is a decision).
 */
export async function requireTopics(brokers: string, names: string[], kafka?: KafkaProperties): Promise<Map<string, number>> {
  const found = new Map((await listTopics(brokers, kafka)).map((t) => [t.name, t.partitions]));
  const missing = [...new Set(names)].filter((n) => !found.has(n));
  if (missing.length > 0) throw missingTopics(missing, brokers);
  return new Map(names.map((n) => [n, found.get(n)!]));
}

/** A group's committed offsets, high watermarks and lag per partition of `topics` (default: every topic it committed on). */
export async function groupLag(brokers: string, group: string, topics?: string[], kafka?: KafkaProperties): Promise<PartitionLag[]> {
  return withConsumer(brokers, kafka, group, async (c) => {
    const md = await metadata(c, brokers);
    const wanted = md.topics.filter((t) => !t.name.startsWith('__') && (topics === undefined || topics.includes(t.name)));
    const toppars = wanted.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.id })));
    if (toppars.length === 0) return [];
    const committed = await new Promise<Kafka.TopicPartitionOffset[]>((resolve, reject) =>
      c.committed(toppars, 10_000, (err, tps) => (err ? reject(wrap(`reading offsets of group "${group}"`, brokers, err)) : resolve(tps))),
    );
    const out: PartitionLag[] = [];
    for (const tp of committed) {
      const offset = tp.offset ?? -1001;
      if (topics === undefined && offset < 0) continue;
      const { low, high } = await watermarks(c, brokers, tp.topic, tp.partition);
      const committedOffset = offset < 0 ? -1 : offset;
      out.push({ topic: tp.topic, partition: tp.partition, committed: committedOffset, high, low, lag: Math.max(0, high - (committedOffset < 0 ? low : committedOffset)) });
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  });
}

/**
 * Creates a topic. seda's embedded broker creates it through librdkafka's
 * mock API (the mock has no CreateTopics handler), reached through its
 * control channel, which {@link findBrokerControl} finds from the bootstrap
 * address alone; a Kafka cluster through the Admin API, which has
 * `timeoutMs` (default 30 s) to answer.
 */
export async function createTopic(
  brokers: string,
  name: string,
  partitions: number,
  options: { replicationFactor?: number; kafka?: KafkaProperties; config?: { [key: string]: string }; timeoutMs?: number } = {},
): Promise<void> {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new SedaError('SEDA_KAFKA_ADMIN', `--partitions must be a whole number >= 1 (got ${partitions})`);
  }
  const replication = options.replicationFactor ?? 1;
  const control = await findBrokerControl(brokers, { kafka: options.kafka });
  if (control !== undefined) {
    const res = await fetch(`${control}/topics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, partitions, replication }),
    }).catch((err: unknown) => {
      throw wrap(`creating topic "${name}" through the embedded broker's control channel ${control}`, brokers, err);
    });
    if (!res.ok) {
      const text = await res.text();
      if (/already exists/i.test(text)) throw new SedaError('SEDA_KAFKA_TOPIC_EXISTS', `topic "${name}" already exists`);
      throw new SedaError('SEDA_KAFKA_ADMIN', `creating topic "${name}" failed: ${text}`);
    }
    await waitForTopic(brokers, name, 10_000, options.kafka);
    return;
  }
  const admin = Kafka.AdminClient.create({ 'bootstrap.servers': brokers, ...splitKafkaProperties(options.kafka, 'admin').global });
  try {
    await new Promise<void>((resolve, reject) =>
      admin.createTopic({ topic: name, num_partitions: partitions, replication_factor: replication, config: options.config ?? {} }, options.timeoutMs ?? 30_000, (err) => {
        if (!err) return resolve();
        if (err.code === Kafka.CODES.ERRORS.ERR_TOPIC_ALREADY_EXISTS) return reject(new SedaError('SEDA_KAFKA_TOPIC_EXISTS', `topic "${name}" already exists`, { cause: err }));
        if (err.code === Kafka.CODES.ERRORS.ERR__TIMED_OUT) {
          // A mock cluster that is not seda's (no __seda_broker topic) has no CreateTopics API: the request just times out.
          return reject(
            new SedaError(
              'SEDA_KAFKA_ADMIN',
              `creating topic "${name}" on ${brokers} timed out: the cluster did not answer CreateTopics; check --brokers (for an embedded broker started by a program, not \`seda broker\`, set SEDA_BROKER_CONTROL to its control URL)`,
              { cause: err, canRetry: true },
            ),
          );
        }
        reject(wrap(`creating topic "${name}"`, brokers, err));
      }),
    );
  } finally {
    admin.disconnect();
  }
  await waitForTopic(brokers, name, 10_000, options.kafka);
}

/** Waits until a topic shows in metadata with partitions; bounded. */
export async function waitForTopic(brokers: string, name: string, timeoutMs: number, kafka?: KafkaProperties): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const topics = await listTopics(brokers, kafka, { internal: true });
    if (topics.some((t) => t.name === name)) return;
    if (Date.now() > deadline) throw new SedaError('SEDA_KAFKA_TIMEOUT', `topic "${name}" did not appear on ${brokers} within ${timeoutMs} ms`, { canRetry: true });
    await new Promise((r) => setTimeout(r, 200));
  }
}
