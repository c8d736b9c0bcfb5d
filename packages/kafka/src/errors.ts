/** Error codes of @seda/kafka. */
export const kafkaErrorCodes = [
  'SEDA_KAFKA_NO_BROKER',
  'SEDA_KAFKA_CONFIG',
  'SEDA_KAFKA_CONNECT',
  'SEDA_KAFKA_DELIVERY',
  'SEDA_KAFKA_MESSAGE_TOO_LARGE',
  'SEDA_KAFKA_COMMIT',
  'SEDA_KAFKA_ADMIN',
  'SEDA_KAFKA_TOPIC_EXISTS',
  'SEDA_KAFKA_TOPIC_MISSING',
  'SEDA_KAFKA_CONSUME',
  'SEDA_KAFKA_TIMEOUT',
  'SEDA_BROKER_BINDING',
  'SEDA_BROKER_MOCK',
  'SEDA_BROKER_STOPPED',
  'SEDA_BROKER_CONTROL',
] as const;

/** A code from {@link kafkaErrorCodes}. */
export type KafkaErrorCode = (typeof kafkaErrorCodes)[number];
