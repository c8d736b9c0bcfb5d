import { SedaError } from '@seda/core';

/** Error codes of @seda/bench. */
export const benchErrorCodes = [
  'SEDA_BENCH_OPTIONS',
  'SEDA_BENCH_SCENARIO',
  'SEDA_BENCH_WORKER',
  'SEDA_BENCH_BROKER',
  'SEDA_BENCH_STALLED',
  'SEDA_BENCH_UNAVAILABLE',
  'SEDA_BENCH_NOT_MEASURED',
] as const;

/** A code from {@link benchErrorCodes}. */
export type BenchErrorCode = (typeof benchErrorCodes)[number];

/** A {@link SedaError} with one of the bench's codes. */
export function benchError(code: BenchErrorCode, message: string, options: { cause?: unknown; canRetry?: boolean } = {}): SedaError {
  return new SedaError(code, message, options);
}
