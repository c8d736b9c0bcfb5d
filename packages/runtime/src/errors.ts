/** Error codes of @seda/runtime. */
export const runtimeErrorCodes = [
  'SEDA_RUNTIME_MODE',
  'SEDA_RUNTIME_TOPIC_MISSING',
  'SEDA_RUNTIME_STAGE_LOAD',
  'SEDA_RUNTIME_NOT_A_STAGE',
  'SEDA_RUNTIME_REVOKE_TIMEOUT',
  'SEDA_RUNTIME_FAILED',
  'SEDA_RUNTIME_OPTIONS',
  'SEDA_RUNTIME_CONFIG',
  'SEDA_RUNTIME_METRICS',
  'SEDA_RUNTIME_SOURCE_UNACKED',
  'SEDA_RUNTIME_ANNOUNCE',
  'SEDA_RUNTIME_READ',
  'SEDA_RUNTIME_DLQ_TOPIC',
  'SEDA_RUNTIME_DLQ_OFFSETS',
  'SEDA_RUNTIME_DLQ_NOT_SEDA',
  'SEDA_RUNTIME_DLQ_REPLAY',
] as const;

/** A code from {@link runtimeErrorCodes}. */
export type RuntimeErrorCode = (typeof runtimeErrorCodes)[number];
