import type { KafkaProperties } from '@seda/kafka';

/** librdkafka's default `message.max.bytes`. */
const DEFAULT_MESSAGE_MAX_BYTES = 1_000_000;

/**
 * The producer's `message.max.bytes` (the user's `--kafka` value, else
 * librdkafka's default): the stage dead-letters emissions above it.
 */
export function producerMessageMaxBytes(kafka: KafkaProperties | undefined): number {
  const set = Number(kafka?.['message.max.bytes']);
  return Number.isFinite(set) && set > 0 ? set : DEFAULT_MESSAGE_MAX_BYTES;
}
