import { defineStage } from '@seda/core';
import { parseReading, type ReadingValue } from '@seda/stage-meter-readings/reading';

/**
 * One entry of the audit trail (`audit-log`, keyed by meter): the reading as
 * it was received, where it was read (topic, partition, offset, record
 * timestamp) and its normalised fields. Entries are only ever appended;
 * after a crash a reading may be appended twice (at-least-once), with the
 * same source offset, so readers deduplicate by (topic, partition, offset).
 */
export interface AuditEntry {
  topic: string;
  partition: number;
  offset: number;
  /** Kafka timestamp of the reading's record, epoch ms. */
  timestamp: number;
  meter: string;
  kwh: number;
  /** Event time, epoch ms (normalised from epoch ms or ISO-8601). */
  ts: number;
  /** The value exactly as received. */
  reading: ReadingValue;
}

/**
 * audit: reads `electric-readings` in its own consumer group and appends every
 * valid reading, with its provenance, to `audit-log`. A malformed reading
 * (no meter, negative or non-numeric kWh, unreadable ts) goes to `audit.dlq`
 * at once, its `seda.dlq.code` header naming the reason (`SEDA_READING_*`).
 */
export default defineStage<string, ReadingValue, 'trail'>({
  name: 'audit',
  description: 'append-only audit trail of electric-readings (each reading with topic/partition/offset) in audit-log',
  input: { topic: 'electric-readings', codec: 'json' },
  outputs: { trail: { topic: 'audit-log', codec: 'json' } },
  dlqTopic: 'audit.dlq',
  process(record, ctx) {
    const r = parseReading(record.key, record.value);
    const entry: AuditEntry = {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      meter: r.meter,
      kwh: r.kwh,
      ts: r.ts,
      reading: record.value,
    };
    ctx.emit('trail', { key: r.meter, value: entry });
  },
});
