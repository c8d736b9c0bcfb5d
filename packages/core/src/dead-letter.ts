import { isUtf8 } from 'node:buffer';
import { deadLetterLineageHeader, lineageHeader } from './lineage.js';
import type { MessageHeaders, RawRecord } from './record.js';

/** Header names seda writes on dead letters. */
export const deadLetterHeaders = {
  stage: 'seda.dlq.stage',
  error: 'seda.dlq.error',
  code: 'seda.dlq.code',
  topic: 'seda.dlq.topic',
  partition: 'seda.dlq.partition',
  offset: 'seda.dlq.offset',
  timestamp: 'seda.dlq.timestamp',
  /**
   * Names a header of the input whose value was binary (not UTF-8): the dead
   * letter carries that value base64 (one marker header per such name).
   * node-rdkafka produces header values as UTF-8 text, so raw bytes would
   * arrive mangled (invalid sequences as U+FFFD).
   */
  base64: 'seda.dlq.base64',
  /** Set (to the value's size) when the input's value was too large to carry on the dead letter. */
  valueDropped: 'seda.dlq.value-dropped',
  /** The lineage the failed record carried (its upstream's), if any. */
  lineage: deadLetterLineageHeader,
} as const;

/** The code a dead letter records for an error. */
export function errorCode(e: Error): string {
  const code = (e as { code?: unknown }).code;
  return code !== undefined ? String(code) : 'SEDA_STAGE_PROCESS';
}

/**
 * Headers of a dead letter: provenance, then the input record's own headers
 * (its upstream lineage renamed to `seda.dlq.lineage`), then the dead
 * letter's own lineage, so that re-injecting dead letters into the input is a
 * new stream downstream, never mistaken for records already applied.
 */
export function deadLetterHeaderList(stage: string, raw: RawRecord, e: Error, lineage: string | undefined): MessageHeaders {
  const headers: MessageHeaders = [
    { [deadLetterHeaders.stage]: stage },
    { [deadLetterHeaders.error]: e.message },
    { [deadLetterHeaders.code]: errorCode(e) },
    { [deadLetterHeaders.topic]: raw.topic },
    { [deadLetterHeaders.partition]: String(raw.partition) },
    { [deadLetterHeaders.offset]: String(raw.offset) },
    { [deadLetterHeaders.timestamp]: String(raw.timestamp) },
  ];
  const binary: string[] = [];
  for (const h of raw.headers ?? []) {
    for (const name in h) {
      const v = h[name];
      if (name === lineageHeader) headers.push({ [deadLetterHeaders.lineage]: v });
      else if (Buffer.isBuffer(v) && !isUtf8(v)) {
        headers.push({ [name]: v.toString('base64') });
        binary.push(name);
      } else headers.push({ [name]: v });
    }
  }
  for (const name of new Set(binary)) headers.push({ [deadLetterHeaders.base64]: name });
  if (lineage !== undefined) headers.push({ [lineageHeader]: lineage });
  return headers;
}
