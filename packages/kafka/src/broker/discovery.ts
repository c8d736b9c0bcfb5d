import Kafka from 'node-rdkafka';
import { SedaError } from '@seda/core';
import { connectClient, disconnectClient } from '../client-connection.js';
import { readBrokerFile, type KafkaProperties } from '../config.js';
import { metadata, watermarks, withConsumer, wrap } from '../metadata-consumer.js';

/**
 * seda's own metadata topic on an embedded broker: one partition where the
 * broker writes a record about itself at start ({@link BrokerAnnouncement};
 * the last record counts). A Kafka client that knows only the bootstrap
 * address reads it to find the control channel. Its name starts with `__`,
 * like Kafka's internal topics, so `seda topics list` and `seda lag` leave it
 * out. A Kafka cluster has no such topic: that is how seda tells them apart.
 */
export const brokerInfoTopic = '__seda_broker';

/** What an embedded broker writes about itself to {@link brokerInfoTopic}. */
export interface BrokerAnnouncement {
  /** Its bootstrap servers, as it printed them. */
  bootstrap: string;
  /** The process the broker runs in. */
  pid?: number;
  /** When it started (ISO 8601). */
  startedAt?: string;
  /** URL of its loopback HTTP control channel, when it serves one (`seda broker`, the test and demo brokers). */
  control?: string;
}

/** Writes one announcement record to {@link brokerInfoTopic} (which must exist) and waits for its acknowledgement (bounded). */
export async function writeBrokerAnnouncement(bootstrap: string, announcement: BrokerAnnouncement, timeoutMs = 10_000): Promise<void> {
  const producer = new Kafka.Producer({ 'bootstrap.servers': bootstrap, dr_cb: true }, { 'message.timeout.ms': timeoutMs });
  await connectClient(producer, timeoutMs, (err) => wrap('connecting to announce the embedded broker', bootstrap, err));
  try {
    producer.setPollInterval(20);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new SedaError('SEDA_BROKER_MOCK', `announcing the embedded broker on ${brokerInfoTopic} was not acknowledged within ${timeoutMs} ms`)), timeoutMs);
      producer.once('delivery-report', (err) => {
        clearTimeout(timer);
        if (err) reject(wrap(`announcing the embedded broker on ${brokerInfoTopic}`, bootstrap, err));
        else resolve();
      });
      producer.produce(brokerInfoTopic, 0, Buffer.from(JSON.stringify(announcement)), 'broker', Date.now());
    });
  } finally {
    await disconnectClient(producer, { timeoutMs: 5000 });
  }
}

function parseAnnouncement(value: Buffer | null | undefined, brokers: string): BrokerAnnouncement {
  try {
    const parsed = JSON.parse(String(value ?? '')) as BrokerAnnouncement;
    if (typeof parsed === 'object' && parsed !== null && typeof parsed.bootstrap === 'string') return parsed;
  } catch {
    // reported below, with what to do
  }
  throw new SedaError(
    'SEDA_BROKER_CONTROL',
    `the last record of ${brokerInfoTopic} on ${brokers} is not an embedded broker's announcement; seda writes that topic itself: restart \`seda broker\``,
  );
}

/**
 * Reads the embedded broker's own announcement from `brokers`: undefined
 * when the cluster has no {@link brokerInfoTopic} (a Kafka cluster). One
 * metadata request, plus one fetch of the topic's last record when it exists.
 */
export async function readBrokerAnnouncement(brokers: string, kafka?: KafkaProperties, timeoutMs = 10_000): Promise<BrokerAnnouncement | undefined> {
  return withConsumer(
    brokers,
    kafka,
    undefined,
    async (c) => {
      const md = await metadata(c, brokers, undefined, timeoutMs);
      if (!md.topics.some((t) => t.name === brokerInfoTopic && t.partitions.length > 0)) return undefined;
      const deadline = Date.now() + timeoutMs;
      // The topic is created just before its first record: a reader in between waits for it (bounded).
      let { high } = await watermarks(c, brokers, brokerInfoTopic, 0);
      while (high <= 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        ({ high } = await watermarks(c, brokers, brokerInfoTopic, 0));
      }
      if (high <= 0) return { bootstrap: brokers };
      c.assign([{ topic: brokerInfoTopic, partition: 0, offset: high - 1 }]);
      c.setDefaultConsumeTimeout(200);
      while (Date.now() < deadline) {
        const messages = await new Promise<Kafka.Message[]>((resolve, reject) =>
          c.consume(1, (err, m) => (err ? reject(wrap(`reading ${brokerInfoTopic}`, brokers, err)) : resolve(m))),
        );
        if (messages.length > 0) return parseAnnouncement(messages[0].value, brokers);
      }
      throw new SedaError('SEDA_KAFKA_TIMEOUT', `reading the last record of ${brokerInfoTopic} on ${brokers} timed out after ${timeoutMs} ms`, { canRetry: true });
    },
    timeoutMs,
  );
}

const found = new Map<string, Promise<BrokerAnnouncement | undefined>>();
const keyOf = (brokers: string): string =>
  brokers
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '')
    .sort()
    .join(',');

/**
 * {@link readBrokerAnnouncement}, asked once per process and bootstrap
 * address (a failed attempt is forgotten, so the next call asks again).
 * `fresh` asks the broker again.
 */
export function findEmbeddedBroker(brokers: string, kafka?: KafkaProperties, options: { timeoutMs?: number; fresh?: boolean } = {}): Promise<BrokerAnnouncement | undefined> {
  const key = keyOf(brokers);
  const cached = options.fresh === true ? undefined : found.get(key);
  if (cached !== undefined) return cached;
  const asked = readBrokerAnnouncement(brokers, kafka, options.timeoutMs);
  found.set(key, asked);
  asked.catch(() => {
    if (found.get(key) === asked) found.delete(key);
  });
  return asked;
}

/**
 * The control channel of the embedded broker at `brokers`, found through,
 * in order: `SEDA_BROKER_CONTROL` (an override), `.seda/broker.json` in
 * `cwd` when it names one of these brokers (no request needed), then the
 * broker's own announcement on {@link brokerInfoTopic}. Undefined for a
 * Kafka cluster. Fails with `SEDA_BROKER_CONTROL` for an embedded broker
 * that serves no control channel (one started in a process with
 * `startBroker` alone): only that process can create its topics.
 */
export async function findBrokerControl(
  brokers: string,
  options: { kafka?: KafkaProperties; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string | undefined> {
  const env = options.env ?? process.env;
  if (env.SEDA_BROKER_CONTROL) return env.SEDA_BROKER_CONTROL;
  const file = readBrokerFile(options.cwd);
  const wanted = new Set(keyOf(brokers).split(','));
  if (file?.control && keyOf(file.bootstrap).split(',').some((b) => wanted.has(b))) return file.control;
  const announced = await findEmbeddedBroker(brokers, options.kafka, { timeoutMs: options.timeoutMs });
  if (announced === undefined) return undefined;
  if (announced.control) return announced.control;
  throw new SedaError(
    'SEDA_BROKER_CONTROL',
    `${brokers} is seda's embedded broker${announced.pid ? ` (pid ${announced.pid})` : ''} but serves no control channel, so topics cannot be created from here; ` +
      'create them in the process that started it (EmbeddedBroker.createTopic), or run the broker with `seda broker`',
  );
}
