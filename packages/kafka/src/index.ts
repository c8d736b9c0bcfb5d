export { kafkaErrorCodes, type KafkaErrorCode } from './errors.js';
export {
  resolveBrokers,
  parseKafkaProperties,
  kafkaPropertyValue,
  checkKafkaProperties,
  splitKafkaProperties,
  belongsElsewhere,
  type KafkaClientKind,
  readBrokerFile,
  brokerFile,
  type KafkaProperties,
  type KafkaPropertyProblem,
  type BrokerFile,
} from './config.js';
export { consumerDefaults, producerDefaults } from './client-defaults.js';
export { consumerOnlyProperties, producerOnlyProperties } from './client-properties.js';
export {
  connectClient,
  disconnectClient,
  type ConnectableClient,
  type DisconnectableClient,
  type FlushingClient,
  type DisconnectOptions,
} from './client-connection.js';
export { OffsetTracker, type Ticket } from './offset-tracker.js';
export { KafkaSource, type KafkaSourceOptions } from './source.js';
export { type TopicPartition, type TopicPartitionOffset } from './topic-partition.js';
export { detectRetentionLoss, retentionLosses, type OffsetAhead, type RetentionLoss } from './retention.js';
export { KafkaSink, type KafkaSinkOptions } from './sink.js';
export { KafkaChangelog, openChangelog, type ChangelogMessage, type ChangelogOptions, type ReadChangelogMessage } from './changelog.js';
export {
  listTopics,
  describeTopic,
  groupLag,
  createTopic,
  waitForTopic,
  requireTopics,
  type TopicInfo,
  type PartitionInfo,
  type PartitionLag,
} from './admin.js';
export { OffsetProbe, type OffsetProbeOptions, type Watermarks } from './offset-probe.js';
export { readToEnd, type ReadToEndOptions, type StoredRecord } from './read-to-end.js';
export * from './broker/index.js';
