export { SedaError, isSedaError, coreErrorCodes, type CoreErrorCode, type SedaErrorOptions } from './errors.js';
export type { HeaderValue, MessageHeaders, RawRecord, SedaRecord, SedaRecord as Record, InputBatch, OutgoingMessage, OutputBatch } from './record.js';
export { jsonCodec, stringCodec, bufferCodec, resolveCodec, codecName, type Codec, type CodecSpec } from './codec.js';
export { parseDuration } from './duration.js';
export { splitKeyValue } from './key-value.js';
export { tpKey } from './partition-key.js';
export { silentLogger, type Logger } from './logger.js';
export type { RangeOptions, StateStore, StateBatch, StateProvider, WindowSpec, TimeWindowSpec, SessionWindowSpec, WindowResult, WindowStore } from './state.js';
export { createWindows, resolveWindowSpec, windowStarts, type WindowsEngine, type WindowsHooks, type WindowParams } from './windows.js';
export { isSessionSpec, resolveSessionSpec, type SessionParams } from './session-windows.js';
export {
  defineStage,
  stageFromTransform,
  isStage,
  createCounters,
  deliveryModes,
  type DeliveryMode,
  type Stage,
  type StageInfo,
  type StageDefinition,
  type StageContext,
  type StageCounters,
  type StageInstanceOptions,
  type Emission,
  type InputSpec,
  type OutputSpec,
  type StateSpec,
  type RetrySpec,
  type TransformStageInfo,
} from './stage.js';
export { deadLetterHeaders } from './dead-letter.js';
export { NULL_KEY_OFFSET_BLOCK } from './partition-key.js';
export {
  lineageHeader,
  deadLetterLineageHeader,
  formatLineage,
  parseLineage,
  lineageOf,
  lineageValue,
  lineageStream,
  idempotencyKey,
  storedPositions,
  positionKeyPrefix,
  LineageDedupe,
  Verdict,
  type Lineage,
} from './lineage.js';
export { codecContract, type CodecSupports } from './codec-contract.js';
export {
  testStage,
  type StageTestDriver,
  type TestStageOptions,
  type TestInput,
  type TestRawInput,
  type TestOutput,
  type TestDeadLetter,
} from './test-driver.js';
export {
  defineSource,
  isSource,
  type Source,
  type SourceInfo,
  type SourceDefinition,
  type SourceContext,
  type SourceEmission,
  type SourceBatch,
  type SourceInstanceOptions,
} from './source.js';
export { testSource, type TestSourceOptions, type SourceTestRun, type SourceTestOutput } from './source-test-driver.js';
export {
  resolveOptions,
  checkOptionsSchema,
  describeOptions,
  optionName,
  optionFlag,
  optionEnvName,
  parseTime,
  type OptionType,
  type OptionSpec,
  type OptionsSchema,
  type OptionValues,
  type OptionValueTypes,
} from './options.js';
export { createMemoryState, type MemoryStateProvider } from './memory-state.js';
export { PartitionOverlay, OverlayBatch, rangeBounds, inBounds, type ChangeSet, type Write, type CommittedReader } from './state-overlay.js';
export { stateProviderContract, type StateContractSupports } from './state-contract.js';
export {
  applyTableRecord,
  globalTableNames,
  globalTablesText,
  isTableKey,
  tableKeyPrefix,
  tablePositionKey,
  tableValueKey,
  type TableInfo,
  type TableRecord,
  type TableSource,
  type TableSpec,
  type TableView,
} from './tables.js';
export { TableQueue } from './table-queue.js';
export type { TestTableRecord } from './memory-tables.js';
