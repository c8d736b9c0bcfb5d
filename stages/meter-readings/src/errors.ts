/**
 * Why a reading is malformed: the code a stage's dead letter carries in its
 * `seda.dlq.code` header. Thrown as non-retriable `SedaError`s (trying again
 * cannot fix a reading), so the record goes to the dead-letter topic at once.
 */
export const readingErrorCodes = [
  /** The record has no key: a reading must name its meter. */
  'SEDA_READING_NO_METER',
  /** The value is not a JSON object. */
  'SEDA_READING_VALUE_INVALID',
  /** `kwh` is missing or not a finite number. */
  'SEDA_READING_KWH_INVALID',
  /** `kwh` is below zero. */
  'SEDA_READING_KWH_NEGATIVE',
  /** `ts` is neither epoch milliseconds nor an ISO-8601 time with a zone. */
  'SEDA_READING_TS_INVALID',
  /** A line of a `--from-csv` file is not `meter,ts,kwh`. */
  'SEDA_READING_CSV',
] as const;

/** A code from {@link readingErrorCodes}. */
export type ReadingErrorCode = (typeof readingErrorCodes)[number];
