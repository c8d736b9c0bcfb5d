import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { benchError } from './errors.js';
import type { LoadRecord } from './load/generator.js';

/** What a `--generator` module's default export returns for each sequence number 0, 1, 2... */
export interface GeneratedRecord {
  key?: string | Buffer | null;
  /** A string or Buffer is written as is; anything else as JSON. */
  value: unknown;
}

/** A `--generator` module's default export. */
export type RecordGenerator = (seq: number) => GeneratedRecord;

function toBuffer(v: unknown): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v);
  return Buffer.from(JSON.stringify(v) ?? 'null');
}

function toRecord(r: GeneratedRecord): LoadRecord {
  return { key: r.key === undefined || r.key === null ? null : toBuffer(r.key), value: toBuffer(r.value) };
}

/**
 * The records of a `--sample` file, one a line: a JSON object with a
 * `value` (and optional `key`) is that record; any other line is the value
 * itself, with no key. The bench writes them over and over, in order.
 */
export function sampleRecords(file: string): LoadRecord[] {
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (err) {
    throw benchError('SEDA_BENCH_OPTIONS', `--sample ${file} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const records: LoadRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'value' in parsed) records.push(toRecord(parsed as GeneratedRecord));
    else records.push({ key: null, value: Buffer.from(line) });
  }
  if (records.length === 0) throw benchError('SEDA_BENCH_OPTIONS', `--sample ${file} holds no records: write one record a line ({"key": "...", "value": ...} or the value itself)`);
  return records;
}

/** Loads a `--generator` module: its default export must be `(seq) => ({ key?, value })`. */
export async function loadGenerator(file: string): Promise<(seq: number) => LoadRecord> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
  } catch (err) {
    throw benchError('SEDA_BENCH_OPTIONS', `--generator ${file} cannot be loaded: ${(err as Error).message}`, { cause: err });
  }
  const gen = mod.default;
  if (typeof gen !== 'function') throw benchError('SEDA_BENCH_OPTIONS', `--generator ${file} must export a function as default: (seq) => ({ key, value })`);
  return (seq) => {
    const r = (gen as RecordGenerator)(seq);
    if (r === null || typeof r !== 'object' || !('value' in r)) throw benchError('SEDA_BENCH_OPTIONS', `--generator ${file} returned ${JSON.stringify(r)} for ${seq}: return { key?, value }`);
    return toRecord(r);
  };
}

/** The input of `seda bench --stage`: a sample file's records in a loop, or a generator module's. */
export async function stageInput(input: { sample?: string; generator?: string }): Promise<((seq: number) => LoadRecord) | undefined> {
  if (input.generator !== undefined) return loadGenerator(input.generator);
  if (input.sample !== undefined) {
    const records = sampleRecords(input.sample);
    return (seq) => records[seq % records.length];
  }
  return undefined;
}
