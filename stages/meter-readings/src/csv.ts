import { createReadStream, existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { SedaError } from '@seda/core';
import { readingTime } from './reading.js';

/** One row of a readings CSV file, as it will be produced. */
export interface CsvReading {
  key: string | null;
  value: { kwh?: number | string; ts: number | string };
  /** Event time in ms when `ts` is readable (used to pace a replay), else undefined. */
  eventMs: number | undefined;
}

const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;
const HEADER = /^\s*meter\s*,\s*ts\s*,\s*kwh\s*$/i;

/**
 * Reads `meter,ts,kwh` lines (a header line of those names is skipped; no
 * quoted fields). Values are passed on as the meter sent them: a numeric field
 * becomes a number, anything else stays a string, so a malformed row reaches
 * the stages (and their dead-letter topics) rather than vanishing here. A line
 * without exactly three fields stops the run with `SEDA_READING_CSV`.
 */
export async function* readCsv(file: string): AsyncGenerator<CsvReading> {
  if (!existsSync(file)) throw new SedaError('SEDA_OPTIONS_INVALID', `--from-csv: ${file} does not exist`);
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '' || (n === 1 && HEADER.test(line))) continue;
    const fields = line.split(',');
    if (fields.length !== 3) {
      lines.close();
      throw new SedaError('SEDA_READING_CSV', `${file}:${n}: expected meter,ts,kwh (3 fields), got ${fields.length}: ${JSON.stringify(line.slice(0, 80))}`);
    }
    const [meter, tsText, kwhText] = fields.map((f) => f.trim());
    const ts = /^-?\d+$/.test(tsText) ? Number(tsText) : tsText;
    const value: CsvReading['value'] = { ts };
    if (kwhText !== '') value.kwh = NUMBER.test(kwhText) ? Number(kwhText) : kwhText;
    yield { key: meter === '' ? null : meter, value, eventMs: readingTime(ts) };
  }
}
