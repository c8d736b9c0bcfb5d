/**
 * Error codes of @seda/codecs. Decode and encode failures use core's
 * `SEDA_CODEC_DECODE` and `SEDA_CODEC_ENCODE`; a record that decodes but
 * breaks its JSON schema has its own code, so the dead letter says why.
 */
export const codecsErrorCodes = ['SEDA_CODEC_SCHEMA', 'SEDA_CODEC_INVALID'] as const;

/** A code from {@link codecsErrorCodes}. */
export type CodecsErrorCode = (typeof codecsErrorCodes)[number];
