/**
 * Errors of seda. Every error has a stable `code` (`SEDA_<AREA>_<WHAT>`),
 * an optional `cause`, and `canRetry` telling whether trying again may help.
 * Tests and callers branch on `code`, never on message text.
 */

/** Options of a {@link SedaError}. */
export interface SedaErrorOptions {
  cause?: unknown;
  canRetry?: boolean;
}

/** Base class of every error seda throws on purpose. */
export class SedaError extends Error {
  override name = 'SedaError';
  /** Stable machine-readable code, e.g. `SEDA_CODEC_DECODE`. */
  readonly code: string;
  /** Whether the same operation may succeed if tried again. */
  readonly canRetry: boolean;

  constructor(code: string, message: string, options: SedaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.canRetry = options.canRetry ?? false;
  }
}

/** Error codes of @seda/core. */
export const coreErrorCodes = [
  'SEDA_CODEC_UNKNOWN',
  'SEDA_CODEC_DECODE',
  'SEDA_CODEC_ENCODE',
  'SEDA_STAGE_INVALID',
  'SEDA_SOURCE_INVALID',
  'SEDA_OPTIONS_INVALID',
  'SEDA_STAGE_OUTPUT_UNKNOWN',
  'SEDA_STAGE_NO_STATE',
  'SEDA_STAGE_NO_TABLES',
  'SEDA_STAGE_PROCESS',
  'SEDA_DURATION_INVALID',
  'SEDA_WINDOW_LATE',
  'SEDA_STATE_ORDER',
  'SEDA_STATE_SEALED',
  'SEDA_STATE_KEY',
  'SEDA_STATE_VALUE',
  'SEDA_STATE_CLOSED',
] as const;

/** A code from {@link coreErrorCodes}. */
export type CoreErrorCode = (typeof coreErrorCodes)[number];

/** True when `err` is a {@link SedaError}, optionally with the given code. */
export function isSedaError(err: unknown, code?: string): err is SedaError {
  return err instanceof SedaError && (code === undefined || err.code === code);
}
