export { kafkaErrorCodes, type KafkaErrorCode } from './errors.js';
export { resolveBrokers, parseKafkaProperties, readBrokerFile, brokerFile, type KafkaProperties, type BrokerFile } from './config.js';
export { consumerDefaults, producerDefaults } from './client-defaults.js';
export { OffsetTracker, type Ticket } from './offset-tracker.js';
export { KafkaSource, type KafkaSourceOptions, type TopicPartition, type TopicPartitionOffset } from './source.js';
export { KafkaSink, type KafkaSinkOptions } from './sink.js';
export {
  listTopics,
  describeTopic,
  groupLag,
  createTopic,
  waitForTopic,
  embeddedControl,
  type TopicInfo,
  type PartitionInfo,
  type PartitionLag,
} from './admin.js';
export * from './broker/index.js';
