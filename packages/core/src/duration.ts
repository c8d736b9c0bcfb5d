import { SedaError } from './errors.js';

const UNITS: { [unit: string]: number } = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as `250ms`, `5m`, `1h` or `1.5s` (or a number of
 * milliseconds) into milliseconds.
 */
export function parseDuration(value: string | number, what = 'duration'): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(value);
    if (m) return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']);
  }
  throw new SedaError(
    'SEDA_DURATION_INVALID',
    `${what}: "${String(value)}" is not a duration; use a number of milliseconds or a number with a unit (ms, s, m, h, d), e.g. "5m"`,
  );
}
