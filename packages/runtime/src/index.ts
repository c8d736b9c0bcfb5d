export { runStage, checkMode, type RunOptions } from './run-stage.js';
export { RunningStage, type BatchDone, type KafkaStats, type CommitCounts, type RunningStageParts } from './running-stage.js';
export { loadStage, loadPlugin, asStage, asPlugin, readyMadeStagePackage } from './load-stage.js';
export { runSource, type RunSourceOptions, type RunningSource, type SourceResult } from './run-source.js';
export { checkTopics } from './topics.js';
export { connectWithRetries, withConnectRetries, type ConnectRetryOptions } from './connect.js';
export { runtimeErrorCodes, type RuntimeErrorCode } from './errors.js';
export {
  resolveRunConfig,
  redactConfig,
  runConfigSchema,
  runConfigFields,
  logLevels,
  ConfigError,
  type RunConfig,
  type RunConfigKey,
  type RunConfigField,
  type ResolvedConfig,
  type ConfigInput,
  type ConfigProblem,
  type ConfigSource,
} from './config.js';
export { isSecretKey, redactValue, secretValues, secretScrubber, redacted } from './secrets.js';
export { createStageMetrics, createMetricsRegistry, countBrokersUp, type StageMetrics, type StageMetricsOptions } from './metrics.js';
export { StageHealth, type HealthReport, type StageHealthOptions } from './health.js';
export { serveOps, type OpsServer, type OpsServerOptions } from './ops-server.js';
export { createStateQuery, keyPartition, murmur2, stateUrl, type StateQuery, type StateQueryOptions, type StateAnswer, type CommittedState } from './state-query.js';
export { kafkaLogProperties, pinoLevelOf, routeKafkaLogs, type KafkaLogEvent } from './kafka-log.js';
export { describeHop, describeChain, type Hop } from './chain.js';
export { clusterKafkaDefaults } from './broker-defaults.js';
export { AnnouncedOwners, type AnnouncedOwnersOptions, type PartitionOwner } from './state-owners.js';
export { TopicReader, headerValue, type ReadMessage } from './topic-reader.js';
export {
  announce,
  announceInstance,
  type AnnounceInstanceOptions,
  announceKey,
  announceTopic,
  ensureAnnounceTopic,
  readAnnouncements,
  AnnouncementLog,
  defaultHeartbeatMs,
  staleAfterHeartbeats,
  type StageDescriptor,
  type AnnounceOptions,
  type Announcement,
  type AnnouncedInstance,
} from './announce.js';
export {
  listDeadLetters,
  replayDeadLetters,
  decodeDeadLetter,
  parseOffsets,
  replayLogTopic,
  replayedFromHeader,
  type DeadLetter,
  type DeadLetterList,
  type DeadLetterPosition,
  type ListDeadLettersOptions,
  type ReplayMark,
  type ReplayOptions,
  type ReplayResult,
  type ReplayedOne,
} from './dlq.js';
