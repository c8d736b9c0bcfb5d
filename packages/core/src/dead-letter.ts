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
  for (const h of raw.headers ?? []) {
    const upstream = h[lineageHeader];
    if (upstream === undefined) headers.push(h);
    else headers.push({ [deadLetterHeaders.lineage]: upstream });
  }
  if (lineage !== undefined) headers.push({ [lineageHeader]: lineage });
  return headers;
}
