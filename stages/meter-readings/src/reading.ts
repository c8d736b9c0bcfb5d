import { SedaError } from '@seda/core';
import type { ReadingErrorCode } from './errors.js';

export { readingErrorCodes, type ReadingErrorCode } from './errors.js';

/**
 * The schema of `electric-readings`: key = meter id, value `{ kwh, ts }` with
 * `ts` in epoch milliseconds or an ISO-8601 string with a zone. Every stage
 * reading the topic parses records with {@link parseReading}, so they agree
 * on what is malformed.
 */
export interface ReadingValue {
  kwh: number;
  ts: number | string;
}

/** A valid reading, normalised: `ts` in epoch milliseconds. */
export interface Reading {
  meter: string;
  kwh: number;
  ts: number;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function malformed(code: ReadingErrorCode, message: string): SedaError {
  // Not retriable: the same bytes give the same verdict; the record goes to the DLQ at once.
  return new SedaError(code, message, { canRetry: false });
}

/** Epoch ms of a reading's `ts`, or undefined when it is neither epoch ms nor ISO-8601 with a zone. */
export function readingTime(ts: unknown): number | undefined {
  if (typeof ts === 'number') return Number.isFinite(ts) ? ts : undefined;
  if (typeof ts === 'string' && ISO_TIME.test(ts)) {
    const t = Date.parse(ts);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

/**
 * Checks and normalises one reading (record key and decoded value). Throws a
 * non-retriable `SedaError` whose code names what is wrong
 * (`SEDA_READING_NO_METER`, `..._KWH_INVALID`, `..._KWH_NEGATIVE`,
 * `..._TS_INVALID`, `..._VALUE_INVALID`).
 */
export function parseReading(key: unknown, value: unknown): Reading {
  if (typeof key !== 'string' || key.trim() === '') throw malformed('SEDA_READING_NO_METER', 'reading has no meter id: the record key is empty');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw malformed('SEDA_READING_VALUE_INVALID', `reading of meter "${key}" is not an object { kwh, ts }`);
  }
  const v = value as { kwh?: unknown; ts?: unknown };
  const kwh = v.kwh;
  if (typeof kwh !== 'number' || !Number.isFinite(kwh)) {
    throw malformed('SEDA_READING_KWH_INVALID', kwh === undefined ? `reading of meter "${key}" has no kwh` : `kwh of meter "${key}" is not a number: ${JSON.stringify(kwh)}`);
  }
  if (kwh < 0) throw malformed('SEDA_READING_KWH_NEGATIVE', `kwh of meter "${key}" is negative: ${kwh}`);
  const ts = readingTime(v.ts);
  if (ts === undefined) {
    throw malformed('SEDA_READING_TS_INVALID', `ts of meter "${key}" is neither epoch ms nor an ISO-8601 time with a zone: ${JSON.stringify(v.ts)}`);
  }
  return { meter: key, kwh, ts };
}
