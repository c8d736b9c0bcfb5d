import { SedaError, type Logger } from '@seda/core';
import { listTopics, type KafkaProperties } from '@seda/kafka';

/**
 * Fails with one clear error when a topic the stage reads or writes does not
 * exist; returns the partition count of every topic on the cluster.
 */
export async function checkTopics(
  brokers: string,
  topics: string[],
  kafka: KafkaProperties | undefined,
  log: Logger,
  options: { timeoutMs?: number } = {},
): Promise<{ [topic: string]: number }> {
  const listed = await listTopics(brokers, kafka, options);
  const existing = new Set(listed.map((t) => t.name));
  const missing = [...new Set(topics)].filter((t) => !existing.has(t));
  if (missing.length > 0) {
    throw new SedaError(
      'SEDA_RUNTIME_TOPIC_MISSING',
      `topic${missing.length > 1 ? 's' : ''} ${missing.map((t) => `"${t}"`).join(', ')} do${missing.length > 1 ? '' : 'es'} not exist on ${brokers}; create ${missing.length > 1 ? 'them' : 'it'} with: ${missing.map((t) => `seda topics create ${t} --partitions N`).join('; ')}`,
    );
  }
  log.debug({ topics }, 'topics exist');
  return Object.fromEntries(listed.map((t) => [t.name, t.partitions]));
}
