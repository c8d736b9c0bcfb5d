/** Error codes of @seda/state. */
export const stateErrorCodes = ['SEDA_STATE_LOCKED', 'SEDA_STATE_CORRUPT', 'SEDA_STATE_OPEN', 'SEDA_STATE_OWNER', 'SEDA_STATE_CHANGELOG_TRUNCATED', 'SEDA_STATE_KEY_NOT_FOUND', 'SEDA_STATE_UNWRITABLE', 'SEDA_STATE_WRITE'] as const;

/** A code from {@link stateErrorCodes}. */
export type StateErrorCode = (typeof stateErrorCodes)[number];
